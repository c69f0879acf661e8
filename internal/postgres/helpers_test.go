package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/internal/testdb"
	"guildhall/templates"
)

// membershipFixture is a fresh database with the services over it. Its
// accounts, groups, members and requests are made with plain SQL, so the
// membership tests depend on nothing but the schema and the service under
// test.
type membershipFixture struct {
	t   *testing.T
	ctx context.Context
	db  *DB
	ms  *MembershipService
	s   *Services
	seq atomic.Int64
}

func newMembershipFixture(t *testing.T) *membershipFixture {
	t.Helper()
	db := Wrap(testdb.New(t))
	s := NewServices(db, guildhall.TestPasswordHasher())
	return &membershipFixture{t: t, ctx: context.Background(), db: db, ms: s.Membership, s: s}
}

// next returns a number unique in this fixture.
func (f *membershipFixture) next() int64 { return f.seq.Add(1) }

// accountOption changes an account before it is stored.
type accountOption func(*guildhall.Account)

func siteAdminAccount(a *guildhall.Account)      { a.SiteAdmin = true }
func privateProfileAccount(a *guildhall.Account) { a.PublicProfile = false }

// person stores a site member called name and returns them as an actor.
func (f *membershipFixture) person(name string, opts ...accountOption) guildhall.Actor {
	f.t.Helper()
	a := guildhall.Account{DisplayName: name, PublicProfile: true,
		Email: fmt.Sprintf("%s.%d@example.com", strings.ReplaceAll(strings.ToLower(name), " ", "."), f.next())}
	for _, o := range opts {
		o(&a)
	}
	err := f.db.GetContext(f.ctx, &a, `
		INSERT INTO accounts (email, display_name, password_hash, site_admin, public_profile)
		VALUES ($1, $2, 'not a hash', $3, $4)
		RETURNING `+accountColumns, a.Email, a.DisplayName, a.SiteAdmin, a.PublicProfile)
	if err != nil {
		f.t.Fatalf("create account %s: %v", name, err)
	}
	return guildhall.ActorFor(&a)
}

// group stores a group of privacy p with settings and its admins (the
// first is the owner).
func (f *membershipFixture) group(name string, p guildhall.Privacy, settings guildhall.GroupSettings, admins ...guildhall.Actor) *guildhall.Group {
	f.t.Helper()
	if len(admins) == 0 {
		f.t.Fatalf("group %s: needs an admin", name)
	}
	var g guildhall.Group
	err := f.db.GetContext(f.ctx, &g, `
		INSERT INTO groups AS g (name, slug, privacy, members_can_approve, members_can_invite, show_member_list, owner_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING `+groupColumns,
		name, fmt.Sprintf("group-%d", f.next()), p,
		settings.MembersCanApprove, settings.MembersCanInvite, settings.ShowMemberList, admins[0].ID)
	if err != nil {
		f.t.Fatalf("create group %s: %v", name, err)
	}
	for _, a := range admins {
		f.member(&g, a, guildhall.RoleAdmin)
	}
	return f.reload(&g)
}

// member puts a in g with role, keeping members_count right.
func (f *membershipFixture) member(g *guildhall.Group, a guildhall.Actor, role guildhall.Role) {
	f.t.Helper()
	f.exec(`INSERT INTO group_members (group_id, account_id, role) VALUES ($1, $2, $3)`, g.ID, a.ID, role)
	f.exec(`UPDATE groups SET members_count = members_count + 1 WHERE id = $1`, g.ID)
}

// pending stores a pending request by a to join g, made at (now when zero).
func (f *membershipFixture) pending(g *guildhall.Group, a guildhall.Actor, at time.Time, answers ...guildhall.Answer) {
	f.t.Helper()
	if at.IsZero() {
		at = time.Now()
	}
	if answers == nil {
		answers = []guildhall.Answer{}
	}
	doc, _ := json.Marshal(answers)
	f.exec(`INSERT INTO join_requests (group_id, account_id, answers, created_at) VALUES ($1, $2, $3, $4)`,
		g.ID, a.ID, doc, at)
}

// questions stores g's membership questions.
func (f *membershipFixture) questions(g *guildhall.Group, qs ...guildhall.QuestionInput) []guildhall.Question {
	f.t.Helper()
	for i, q := range qs {
		f.exec(`INSERT INTO membership_questions (group_id, position, text, required) VALUES ($1, $2, $3, $4)`,
			g.ID, i+1, q.Text, q.Required)
	}
	out, err := questionsOf(f.ctx, f.db, g.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// reload reads g again.
func (f *membershipFixture) reload(g *guildhall.Group) *guildhall.Group {
	f.t.Helper()
	var out guildhall.Group
	if err := f.db.GetContext(f.ctx, &out, `SELECT `+groupColumns+` FROM groups g WHERE g.id = $1`, g.ID); err != nil {
		f.t.Fatalf("reload group: %v", err)
	}
	return &out
}

func (f *membershipFixture) exec(query string, args ...any) {
	f.t.Helper()
	if _, err := f.db.ExecContext(f.ctx, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
}

func (f *membershipFixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.GetContext(f.ctx, &n, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// role is a's role in g, RoleNone when not a member.
func (f *membershipFixture) role(g *guildhall.Group, a guildhall.Actor) guildhall.Role {
	f.t.Helper()
	r, err := roleIn(f.ctx, f.db, g.ID, a.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// statuses are the statuses of a's requests to join g, oldest first.
func (f *membershipFixture) statuses(g *guildhall.Group, a guildhall.Actor) []guildhall.Status {
	f.t.Helper()
	var out []guildhall.Status
	err := f.db.SelectContext(f.ctx, &out, `
		SELECT status FROM join_requests WHERE group_id = $1 AND account_id = $2 ORDER BY created_at, id`, g.ID, a.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// wantCountsRight fails unless g's members_count equals its member rows.
func (f *membershipFixture) wantCountsRight(g *guildhall.Group) {
	f.t.Helper()
	stored := f.reload(g).MembersCount
	rows := f.count(`SELECT count(*) FROM group_members WHERE group_id = $1`, g.ID)
	if stored != rows {
		f.t.Errorf("members_count = %d, but %d member rows", stored, rows)
	}
}

// sentences are the audit log's entries with one of actions, oldest first,
// as people read them.
func (f *membershipFixture) sentences(actions ...string) []string {
	f.t.Helper()
	var entries []guildhall.AuditEntry
	err := f.db.SelectContext(f.ctx, &entries, `
		SELECT id, at, actor_id, actor_name, action, target_type, target_id, target_name, before, after
		FROM audit_log ORDER BY id`)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		for _, a := range actions {
			if e.Action == a {
				out = append(out, templates.AuditSentence(e))
			}
		}
	}
	return out
}

// expectKind fails unless err wraps kind (nil for success).
func expectKind(t *testing.T, err, kind error) {
	t.Helper()
	switch {
	case kind == nil && err != nil:
		t.Fatalf("err = %v, want success", err)
	case kind != nil && !errors.Is(err, kind):
		t.Fatalf("err = %v, want %v", err, kind)
	}
}

// expectField fails unless err is a ValidationError naming field.
func expectField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *guildhall.ValidationError
	if !errors.As(err, &ve) || ve.For(field) == "" {
		t.Fatalf("err = %v, want a validation error naming %q", err, field)
	}
}

// allSettings is every switch on; noSettings every switch off.
var (
	allSettings = guildhall.GroupSettings{MembersCanApprove: true, MembersCanInvite: true, ShowMemberList: true}
	noSettings  = guildhall.GroupSettings{}
)
