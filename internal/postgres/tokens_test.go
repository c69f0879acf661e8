package postgres

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"guildhall/internal/guildhall"
)

func TestTokenCreateAuthenticateRevoke(t *testing.T) {
	f := newGroupsFixture(t)
	ada := f.account("Ada Member")

	plain, tok, err := f.s.Tokens.CreateToken(f.ctx, ada, "  deploy script  ", false)
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	if !strings.HasPrefix(plain, "gh_") || len(plain) < 20 {
		t.Errorf("token %q: want gh_ and a long random part", plain)
	}
	if tok.Name != "deploy script" || tok.Elevated || tok.AccountID != ada.ID || tok.LastUsedAt != nil {
		t.Errorf("token = %+v", tok)
	}

	// Only the sha256 is stored: no column holds the token itself.
	var stored []byte
	var row string
	if err := f.db.GetContext(f.ctx, &stored, `SELECT token_hash FROM api_tokens WHERE id = $1`, tok.ID); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte(plain)); !bytes.Equal(stored, sum[:]) {
		t.Errorf("token_hash is not the sha256 of the token")
	}
	if err := f.db.GetContext(f.ctx, &row, `SELECT t::text FROM api_tokens t WHERE id = $1`, tok.ID); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(row, plain[3:]) {
		t.Errorf("the stored row contains the token: %s", row)
	}

	actor, _, err := f.s.Tokens.Authenticate(f.ctx, plain, nil)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	if actor.ID != ada.ID || actor.Elevated || actor.DisplayName != "Ada Member" {
		t.Errorf("actor = %+v", actor)
	}

	list, err := f.s.Tokens.ListTokens(f.ctx, ada)
	if err != nil || len(list) != 1 || list[0].ID != tok.ID || list[0].LastUsedAt == nil {
		t.Fatalf("list = %+v, %v; want the token with its last use", list, err)
	}

	if err := f.s.Tokens.RevokeToken(f.ctx, ada, tok.ID); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if _, _, err := f.s.Tokens.Authenticate(f.ctx, plain, nil); !errors.Is(err, guildhall.ErrUnauthenticated) {
		t.Errorf("authenticate after revoke: %v, want ErrUnauthenticated", err)
	}
	if err := f.s.Tokens.RevokeToken(f.ctx, ada, tok.ID); !errors.Is(err, guildhall.ErrNotFound) {
		t.Errorf("revoke twice: %v, want ErrNotFound", err)
	}
	if list, _ := f.s.Tokens.ListTokens(f.ctx, ada); len(list) != 0 {
		t.Errorf("list after revoke = %+v, want none", list)
	}

	var actions []string
	if err := f.db.SelectContext(f.ctx, &actions, `SELECT action FROM audit_log WHERE target_type = 'api_token' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(actions, ",") != "token.created,token.revoked" {
		t.Errorf("audit = %v", actions)
	}
}

func TestTokenAuthenticateRefusesUnknown(t *testing.T) {
	f := newGroupsFixture(t)
	ada := f.account("Ada Member")
	plain, _, err := f.s.Tokens.CreateToken(f.ctx, ada, "ci", false)
	if err != nil {
		t.Fatal(err)
	}
	// The last character changed to one it is not: a token ending in X
	// would otherwise stay itself one time in 32.
	last := "X"
	if strings.HasSuffix(plain, last) {
		last = "Y"
	}
	for name, token := range map[string]string{
		"empty":          "",
		"no prefix":      plain[3:],
		"one char off":   plain[:len(plain)-1] + last,
		"session-like":   "abc",
		"very long":      "gh_" + strings.Repeat("A", 10000),
		"with a newline": plain + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := f.s.Tokens.Authenticate(f.ctx, token, nil); !errors.Is(err, guildhall.ErrUnauthenticated) {
				t.Errorf("Authenticate(%q) = %v, want ErrUnauthenticated", token, err)
			}
		})
	}
}

func TestTokenElevated(t *testing.T) {
	f := newGroupsFixture(t)
	member := f.account("Ada Member")
	admin := f.account("Root Admin", asSiteAdmin)

	if _, _, err := f.s.Tokens.CreateToken(f.ctx, member, "sneaky", true); !errors.Is(err, guildhall.ErrForbidden) {
		t.Errorf("member makes an elevated token: %v, want ErrForbidden", err)
	}
	// An elevated caller is no site admin by account and cannot mint more.
	if _, _, err := f.s.Tokens.CreateToken(f.ctx, guildhall.Actor{Account: member.Account, Elevated: true}, "x", true); !errors.Is(err, guildhall.ErrForbidden) {
		t.Errorf("elevated caller makes an elevated token: %v, want ErrForbidden", err)
	}

	plain, tok, err := f.s.Tokens.CreateToken(f.ctx, admin, "sync", true)
	if err != nil || !tok.Elevated {
		t.Fatalf("admin makes an elevated token: %+v, %v", tok, err)
	}
	actor, _, err := f.s.Tokens.Authenticate(f.ctx, plain, nil)
	if err != nil || !actor.Elevated || actor.ID != admin.ID {
		t.Fatalf("authenticate elevated: %+v, %v", actor, err)
	}

	// A site admin who loses the flag keeps a plain token.
	f.exec(`UPDATE accounts SET site_admin = false WHERE id = $1`, admin.ID)
	actor, _, err = f.s.Tokens.Authenticate(f.ctx, plain, nil)
	if err != nil || actor.Elevated || actor.SiteAdmin {
		t.Errorf("authenticate after demotion: %+v, %v; want a plain actor", actor, err)
	}
}

func TestTokenNameAndOwnership(t *testing.T) {
	f := newGroupsFixture(t)
	ada := f.account("Ada Member")
	bob := f.account("Bob Member")

	for name, tokenName := range map[string]string{
		"blank":    "   ",
		"too long": strings.Repeat("n", 101),
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := f.s.Tokens.CreateToken(f.ctx, ada, tokenName, false)
			var ve *guildhall.ValidationError
			if !errors.As(err, &ve) || ve.For("name") == "" {
				t.Errorf("CreateToken(%q) = %v, want a violation of name", tokenName, err)
			}
		})
	}
	if _, _, err := f.s.Tokens.CreateToken(f.ctx, ada, strings.Repeat("é", 100), false); err != nil {
		t.Errorf("100-character name: %v", err)
	}
	if _, _, err := f.s.Tokens.CreateToken(f.ctx, guildhall.Actor{}, "x", false); !errors.Is(err, guildhall.ErrUnauthenticated) {
		t.Errorf("no account: %v, want ErrUnauthenticated", err)
	}

	_, adas, err := f.s.Tokens.CreateToken(f.ctx, ada, "mine", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.Tokens.RevokeToken(f.ctx, bob, adas.ID); !errors.Is(err, guildhall.ErrNotFound) {
		t.Errorf("Bob revokes Ada's token: %v, want ErrNotFound", err)
	}
	if err := f.s.Tokens.RevokeToken(f.ctx, ada, "not-a-uuid"); !errors.Is(err, guildhall.ErrNotFound) {
		t.Errorf("revoke a malformed id: %v, want ErrNotFound", err)
	}
	if list, _ := f.s.Tokens.ListTokens(f.ctx, bob); len(list) != 0 {
		t.Errorf("Bob's list shows %+v", list)
	}
}

func TestTokenLastUsedAtMostOnceAMinute(t *testing.T) {
	f := newGroupsFixture(t)
	ada := f.account("Ada Member")
	plain, tok, err := f.s.Tokens.CreateToken(f.ctx, ada, "ci", false)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	lastUsed := func() time.Time {
		t.Helper()
		var at time.Time
		if err := f.db.GetContext(f.ctx, &at, `SELECT last_used_at FROM api_tokens WHERE id = $1`, tok.ID); err != nil {
			t.Fatal(err)
		}
		return at.UTC()
	}
	for _, step := range []struct {
		at   time.Time
		want time.Time
	}{
		{t0, t0},
		{t0.Add(30 * time.Second), t0},
		{t0.Add(59 * time.Second), t0},
		{t0.Add(61 * time.Second), t0.Add(61 * time.Second)},
	} {
		f.db.Now = func() time.Time { return step.at }
		if _, _, err := f.s.Tokens.Authenticate(f.ctx, plain, nil); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.Equal(step.want) {
			t.Errorf("used at %v: last_used_at = %v, want %v", step.at, got, step.want)
		}
	}
}
