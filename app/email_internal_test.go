package app

import (
	"testing"
	"time"
)

// The digest goes out at its hour of the day whenever the leader started.
func TestDailyAtIsATimeOfDay(t *testing.T) {
	d := dailyAt{hour: 7}
	for _, tc := range []struct{ now, want string }{
		{"2026-12-02T06:59:00Z", "2026-12-02T07:00:00Z"},
		{"2026-12-02T07:00:00Z", "2026-12-03T07:00:00Z"},
		{"2026-12-31T23:30:00Z", "2027-01-01T07:00:00Z"},
		{"2026-12-02T08:00:00+02:00", "2026-12-02T07:00:00Z"}, // 06:00 UTC,
	} {
		now, _ := time.Parse(time.RFC3339, tc.now)
		if got := d.Next(now).Format(time.RFC3339); got != tc.want {
			t.Errorf("Next(%s) = %s, want %s", tc.now, got, tc.want)
		}
	}
}
