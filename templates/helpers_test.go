package templates

import (
	"strings"
	"testing"
	"time"
)

func TestMembersText(t *testing.T) {
	for n, want := range map[int]string{0: "0 members", 1: "1 member", 2: "2 members", 11: "11 members"} {
		if got := MembersText(n); got != want {
			t.Errorf("MembersText(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestDecisionLines(t *testing.T) {
	tests := []struct {
		name string
		d    Decision
		want []string
	}{
		{"nothing", Decision{Action: "approve"}, nil},
		{"all done", Decision{Action: "approve", Done: []string{"Ann", "Cid"}}, []string{"Approved “Ann”, “Cid”."}},
		{"skipped by reason", Decision{Action: "reject", Done: []string{"Ann"}, Skipped: []Skip{
			{Name: "Ben", Why: "already decided"}, {Why: "not found"}, {Why: "already decided"}, {Why: "not found"}}},
			[]string{"Rejected “Ann”.", "Skipped “Ben” and 1 other request: already decided.", "Skipped 2 requests: not found."}},
		{"a refusal's own words", Decision{Action: "approve", Skipped: []Skip{{Name: "Eve (Club)", Why: "You may not decide."}}},
			[]string{"Skipped “Eve (Club)”: You may not decide."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.d.Lines()
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Lines() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestWaited(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for ago, want := range map[time.Duration]string{
		10 * time.Second: "just now", time.Minute: "1 minute", 59 * time.Minute: "59 minutes",
		2 * time.Hour: "2 hours", 25 * time.Hour: "1 day", 74 * time.Hour: "3 days",
	} {
		if got := Waited(now.Add(-ago), now); got != want {
			t.Errorf("Waited(%v ago) = %q, want %q", ago, got, want)
		}
	}
}
