package templates

import (
	"bytes"
	"context"
	"flag"
	"html"
	"os"
	"strconv"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from what the components render now")

// queueFixtures are the queues the pages show: the inbox (groups, keys
// "GROUPID:ACCOUNTID"), a group's join requests (answers, any status) and
// the site's group creations (privacy and requester), with text that must
// be escaped wherever a row puts text.
func queueFixtures() []Queue {
	since := time.Date(2026, 11, 30, 9, 5, 0, 0, time.FixedZone("CET", 3600))
	hostile := `Zoë <b>"O'Hara"</b> & co`
	return []Queue{
		{ID: "inbox", Action: "/inbox/decide", NameHeader: "Requester", ShowGroup: true, ShowAnswers: true,
			Empty: "Nothing waits for your decision.", NextURL: "/inbox?page=2",
			Rows: []QueueRow{
				{Key: "9abb58c4-3733-4cd6-a012-72cbea657c1e:435137bf-5de3-4335-a536-49dedf4fc8c5", Name: "Member 12",
					GroupName: "Big Queue", GroupSlug: "big-queue", Since: since, Age: "3 days", Status: "Pending", Pending: true,
					Marks: []string{"Expires in 27 days"}},
				{Key: "g:" + hostile, Name: hostile, GroupName: hostile, GroupSlug: "a&b", Since: since, Age: "just now",
					Status: "Pending", Pending: true, Marks: []string{"Escalated", "Expires now"},
					Answers: []AnswerRow{{Question: "Why?", Answer: hostile}, {Question: "<Who>", Answer: ""}}},
			}},
		{ID: "join-requests", Action: "/groups/big-queue/requests/decide?status=ALL", NameHeader: "Requester",
			ShowAnswers: true, WhenHeader: "Asked", Reason: hostile, PrevURL: "/groups/big-queue/requests?status=ALL&page=1",
			Decision: Decision{Action: "reject", Done: []string{"Ann"}, Skipped: []Skip{{Name: hostile, Why: "already decided"}}},
			Errors:   []string{"Select at least one request first.", hostile},
			Rows: []QueueRow{
				{Key: "5d1c3a52-7a36-4f34-9b1f-0c8a4b7e2f10", Name: "Ann", Since: since, Age: "2 hours", Status: "Pending", Pending: true},
				{Key: "k2", Name: hostile, NameURL: "/people/k2?x=1&y=2", Since: since, Age: "1 day ago", Status: "Rejected",
					Reason: hostile, Answers: []AnswerRow{{Question: "Why?", Answer: "Because"}}},
				{Key: "k3", Name: "Cid", Since: since, Age: "5 minutes ago", Status: "Canceled"},
			}},
		{ID: "creations", Action: "/admin/creations/decide", NameHeader: "Group", ShowRequester: true,
			Rows: []QueueRow{
				{Key: "c1", Name: hostile, Privacy: "Private", Requester: hostile, Since: since, Age: "4 days", Status: "Pending", Pending: true},
				{Key: "c2", Name: "Done Club", NameURL: "/groups/done-club", Privacy: "Public", Requester: "Ann", Since: since,
					Age: "4 days ago", Status: "Approved"},
			}},
		{ID: "empty", Action: "/inbox/decide", NameHeader: "Requester", Empty: hostile},
	}
}

// TestQueueTableRendering pins the HTML of the queue components, byte for
// byte: how a row is rendered may change for speed, what it renders may
// not (run with -update after a change that is meant to show).
func TestQueueTableRendering(t *testing.T) {
	var got bytes.Buffer
	for _, q := range queueFixtures() {
		if err := QueueTable(q).Render(context.Background(), &got); err != nil {
			t.Fatal(err)
		}
		got.WriteString("\n")
	}
	matchGolden(t, "QueueTable", "testdata/queue_table.html", got.Bytes())
}

// matchGolden fails t when got differs from the golden file, naming what
// rendered it; with -update it rewrites the file first.
func matchGolden(t *testing.T, what, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s renders differently from %s:\n got: %s\nwant: %s", what, golden, got, want)
	}
}

// The rows' times are written by hand; they must read as isoTime and When.
func TestRowTimes(t *testing.T) {
	times := []time.Time{{}, time.Unix(0, 0), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(999, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-5, 3, 4, 5, 6, 7, 0, time.UTC), time.Date(2026, 3, 29, 1, 30, 0, 0, time.FixedZone("X", -9*3600-1800))}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		times = append(times, start.Add(time.Duration(i)*(37*time.Hour+13*time.Minute+7*time.Second+123456789)))
	}
	for _, tm := range times {
		if got, want := string(appendISOTime(nil, tm)), isoTime(tm); got != want {
			t.Errorf("appendISOTime(%v) = %q, want %q", tm, got, want)
		}
		if got, want := string(appendWhen(nil, tm)), When(tm); got != want {
			t.Errorf("appendWhen(%v) = %q, want %q", tm, got, want)
		}
	}
}

// Escaping is html.EscapeString's, byte for byte, whatever the bytes.
func TestAppendEscaped(t *testing.T) {
	for _, s := range []string{"", "plain", `<>&'"`, "a<b", "é\xff<\x00>z", "&amp;", "Zoë's \"club\""} {
		if got, want := string(appendEscaped(nil, s)), html.EscapeString(s); got != want {
			t.Errorf("appendEscaped(%q) = %q, want %q", s, got, want)
		}
		if got, want := string(appendLowerEscaped(nil, s)), html.EscapeString(lower(s)); got != want {
			t.Errorf("appendLowerEscaped(%q) = %q, want %q", s, got, want)
		}
	}
}

// BenchmarkQueueTable renders a full page of the inbox: 50 pending rows.
func BenchmarkQueueTable(b *testing.B) {
	since := time.Date(2026, 11, 30, 9, 5, 0, 0, time.UTC)
	q := Queue{ID: "inbox", Action: "/inbox/decide", NameHeader: "Requester", ShowGroup: true, ShowAnswers: true, NextURL: "/inbox?page=2"}
	for i := range 50 {
		q.Rows = append(q.Rows, QueueRow{Key: "9abb58c4-3733-4cd6-a012-72cbea657c1e:435137bf-5de3-4335-a536-4" + strconv.Itoa(10000000000+i),
			Name: "Member " + strconv.Itoa(i), GroupName: "Big Queue", GroupSlug: "big-queue", Since: since.Add(time.Duration(i) * time.Minute),
			Age: "3 days", Status: "Pending", Pending: true, Marks: []string{"Expires in 27 days"}})
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := QueueTable(q).Render(context.Background(), &buf); err != nil {
			b.Fatal(err)
		}
	}
}
