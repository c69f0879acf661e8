package postgres

import (
	"crypto/sha256"
	"reflect"
	"testing"
	"time"

	"guildhall/internal/guildhall"
)

// The reads every request makes (a group, the session with its account and
// counts, an API token) are scanned by position. These tests read the same
// rows by column name, as sqlx did before, and want every field equal, so
// that a column added or moved in the SQL cannot land in the wrong field.

func TestGroupReadsByPositionMatchByName(t *testing.T) {
	f := newMembershipFixture(t)
	ada := f.person("Ada")
	bob := f.person("Bob")
	g := f.group("Chess Club", guildhall.Private, guildhall.GroupSettings{MembersCanApprove: true, ShowMemberList: true}, ada)
	f.exec(`UPDATE groups SET description = 'Openings and endgames', last_activity_at = now() - interval '3 days' WHERE id = $1`, g.ID)
	f.pending(g, bob, time.Time{})
	for _, who := range []guildhall.Actor{ada, bob} {
		var want guildhall.GroupView
		if err := f.db.GetContext(f.ctx, &want, groupViewFrom+` WHERE g.id = $3 AND `+groupVisible, append(viewerArgs(who), g.ID)...); err != nil {
			t.Fatal(err)
		}
		if want.Description == "" || want.ViewerRole == "" && !want.HasPendingRequest {
			t.Fatalf("the fixture shows too little: %+v", want)
		}
		bySlug, err := f.s.Groups.GroupBySlug(f.ctx, who, g.Slug)
		if err != nil {
			t.Fatal(err)
		}
		byID, err := f.s.Groups.GroupByID(f.ctx, who, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*bySlug, want) || !reflect.DeepEqual(*byID, want) {
			t.Errorf("%s: by slug %+v\nby id %+v\nby name %+v", who.DisplayName, *bySlug, *byID, want)
		}
	}
}

func TestSignedInReadByPositionMatchesByName(t *testing.T) {
	f := newMembershipFixture(t)
	ada := f.person("Ada", siteAdminAccount)
	bob := f.person("Bob")
	g := f.group("Chess Club", guildhall.Private, guildhall.GroupSettings{}, ada)
	f.pending(g, bob, time.Time{})
	f.exec(`UPDATE site_settings SET expire_after_days = 30, remind_after_days = 7`)
	hash := sha256.Sum256([]byte("a token"))
	f.exec(`INSERT INTO sessions (token_hash, account_id, data, expires_at) VALUES ($1, $2, '{"account_id":"x"}', now() + interval '1 hour')`, hash[:], ada.ID)
	rows := NewSessionRows(f.db)
	data, who, err := rows.LoadSignedIn(f.ctx, hash[:])
	if err != nil {
		t.Fatal(err)
	}
	var account guildhall.Account
	if err := f.db.GetContext(f.ctx, &account, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, ada.ID); err != nil {
		t.Fatal(err)
	}
	settings, err := f.s.Settings.SiteSettings(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := guildhall.SignedIn{Account: &account, Nav: guildhall.NavCounts{Inbox: 1}, Settings: *settings}
	if string(data) != `{"account_id":"x"}` || !reflect.DeepEqual(who, want) {
		t.Errorf("LoadSignedIn = %s, %+v (%+v)\nwant %+v (%+v)", data, who, *who.Account, want, account)
	}

	// A session without an account, and none at all.
	f.exec(`UPDATE sessions SET account_id = NULL, data = ''`)
	if data, who, err := rows.LoadSignedIn(f.ctx, hash[:]); err != nil || data == nil || len(data) != 0 || who.Account != nil || !reflect.DeepEqual(who.Settings, *settings) {
		t.Errorf("signed-out session: %q, %+v, %v", data, who, err)
	}
	f.exec(`DELETE FROM sessions`)
	if data, who, err := rows.LoadSignedIn(f.ctx, hash[:]); err != nil || data != nil || !reflect.DeepEqual(who, guildhall.SignedIn{}) {
		t.Errorf("no session: %q, %+v, %v", data, who, err)
	}
}
