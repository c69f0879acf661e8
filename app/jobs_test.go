package app_test

import (
	"context"
	"testing"
	"time"

	"guildhall/internal/testapp"
	"guildhall/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The queue's leader sweeps expired sessions when it starts (and every ten
// minutes after); a live session stays.
func TestExpiredSessionsAreSwept(t *testing.T) {
	a := testapp.New(t)
	ctx := context.Background()
	a.DB.MustExecContext(ctx, `INSERT INTO sessions (token_hash, expires_at) VALUES
		('\x01', now() - interval '1 minute'), ('\x02', now() + interval '1 day')`)
	a.StartJobs(t)
	deadline := time.Now().Add(time.Minute)
	for {
		var left []string
		if err := a.DB.SelectContext(ctx, &left, `SELECT encode(token_hash, 'hex') FROM sessions ORDER BY 1`); err != nil {
			t.Fatal(err)
		}
		if len(left) == 1 && left[0] == "02" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sessions left %v, want only the live one", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
