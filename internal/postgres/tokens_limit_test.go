package postgres

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"guildhall/internal/guildhall"
)

// TestTokenAuthenticateChargesExactly: 40 calls at once with one token
// whose limit is 25 at once (in the same instant, so nothing refills) are
// let through exactly 25 times, whichever connections they come over, as
// Limiter.Take would; half an hour later the empty bucket asks for the
// wait of one token, and another token has a bucket of its own.
func TestTokenAuthenticateChargesExactly(t *testing.T) {
	f := newGroupsFixture(t)
	ada := f.account("Ada Member")
	plain, _, err := f.s.Tokens.CreateToken(f.ctx, ada, "ci", false)
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := f.s.Tokens.CreateToken(f.ctx, ada, "other", false)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	f.db.Now = func() time.Time { return t0 }
	limit := guildhall.Every(time.Hour, 25)

	var let atomic.Int64
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			actor, wait, err := f.s.Tokens.Authenticate(f.ctx, plain, &limit)
			if err != nil {
				t.Error(err)
				return
			}
			if actor.ID != ada.ID {
				t.Errorf("actor %q, want Ada", actor.ID)
			}
			if wait == 0 {
				let.Add(1)
			}
		})
	}
	wg.Wait()
	if let.Load() != 25 {
		t.Errorf("%d of 40 concurrent calls were let through a limit of 25", let.Load())
	}

	f.db.Now = func() time.Time { return t0.Add(30 * time.Minute) }
	if _, wait, err := f.s.Tokens.Authenticate(f.ctx, plain, &limit); err != nil || wait != 30*time.Minute {
		t.Errorf("half an hour on: wait %v, %v; want 30m", wait, err)
	}
	if _, wait, err := f.s.Tokens.Authenticate(f.ctx, other, &limit); err != nil || wait != 0 {
		t.Errorf("another token: wait %v, %v; want its own full bucket", wait, err)
	}
	f.db.Now = func() time.Time { return t0.Add(time.Hour) }
	if _, wait, err := f.s.Tokens.Authenticate(f.ctx, plain, &limit); err != nil || wait != 0 {
		t.Errorf("an hour on: wait %v, %v; want a token refilled", wait, err)
	}
}

// TestTokenAuthenticateRefusedChargesNothing: an unknown or revoked token
// is refused as unauthenticated, never as over its limit, and fills no
// bucket; a limit no bucket can keep is an error, not a free pass.
func TestTokenAuthenticateRefusedChargesNothing(t *testing.T) {
	f := newGroupsFixture(t)
	ada := f.account("Ada Member")
	plain, tok, err := f.s.Tokens.CreateToken(f.ctx, ada, "ci", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.Tokens.RevokeToken(f.ctx, ada, tok.ID); err != nil {
		t.Fatal(err)
	}
	limit := guildhall.Every(time.Hour, 1)
	for _, token := range []string{plain, "gh_AAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		for range 3 {
			if _, wait, err := f.s.Tokens.Authenticate(f.ctx, token, &limit); !errors.Is(err, guildhall.ErrUnauthenticated) || wait != 0 {
				t.Errorf("Authenticate(%q) = wait %v, %v; want ErrUnauthenticated", token, wait, err)
			}
		}
	}
	var buckets int
	if err := f.db.GetContext(f.ctx, &buckets, `SELECT count(*) FROM rate_limits`); err != nil {
		t.Fatal(err)
	}
	if buckets != 0 {
		t.Errorf("refused tokens left %d buckets, want none", buckets)
	}

	live, _, err := f.s.Tokens.CreateToken(f.ctx, ada, "live", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []guildhall.Limit{{Rate: 1, Burst: 0}, {Rate: 0, Burst: 5}} {
		if _, _, err := f.s.Tokens.Authenticate(f.ctx, live, &bad); err == nil {
			t.Errorf("limit %+v: no error", bad)
		}
	}
}
