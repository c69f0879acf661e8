package seed_test

import (
	"context"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/postgres"
	"guildhall/internal/seed"
	"guildhall/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func small() seed.Options {
	o := seed.Defaults()
	o.Accounts, o.Groups, o.MembersPerGroup, o.Queue = 50, 40, 5, 30
	return o
}

// A seeded database is one a member can sign in to and look around: the
// groups with their members, counts that match, and the queue waiting for
// its owner.
func TestSeedFillsWhatItSays(t *testing.T) {
	ctx := context.Background()
	db := testdb.New(t)
	o := small()
	hasher := guildhall.TestPasswordHasher()
	hash, err := hasher.Hash(o.Password)
	if err != nil {
		t.Fatal(err)
	}
	res, err := seed.Run(ctx, db, o, hash)
	if err != nil {
		t.Fatal(err)
	}
	var counts struct {
		Accounts, Groups, Members, Pending, Drift int
	}
	err = db.GetContext(ctx, &counts, `SELECT
		(SELECT count(*) FROM accounts) AS accounts,
		(SELECT count(*) FROM groups) AS groups,
		(SELECT count(*) FROM group_members) AS members,
		(SELECT count(*) FROM join_requests WHERE status = 'PENDING' AND group_id = $1) AS pending,
		(SELECT count(*) FROM groups g WHERE members_count <> (SELECT count(*) FROM group_members m WHERE m.group_id = g.id)) AS drift`,
		res.QueueGroupID)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Accounts != 51 || counts.Groups != 41 || counts.Members != 40*5+1 || counts.Pending != 30 || counts.Drift != 0 {
		t.Errorf("seeded %+v; want 51 accounts, 41 groups, 201 members, 30 pending, no drift", counts)
	}

	s := postgres.NewServices(postgres.Wrap(db), hasher)
	acct, err := s.Accounts.Authenticate(ctx, seed.MemberEmail(1), o.Password)
	if err != nil {
		t.Fatalf("sign in as a seeded member: %v", err)
	}
	page, err := s.Groups.QueryGroups(ctx, guildhall.ActorFor(acct), guildhall.GroupQuery{
		Sort: guildhall.Sort{Field: guildhall.FieldCreatedDate, Desc: true}, Limit: 20})
	if err != nil || page.Total < 30 {
		t.Fatalf("directory as a seeded member: total %v, %v", page, err)
	}
	owner, err := s.Accounts.Authenticate(ctx, o.QueueOwner, o.Password)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Membership.InboxCount(ctx, guildhall.ActorFor(owner))
	if err != nil || n != 30 {
		t.Errorf("queue owner's inbox = %d, %v; want 30", n, err)
	}
}

// A database with real accounts is refused without --force, and left as
// it was.
func TestSeedRefusesRealAccounts(t *testing.T) {
	ctx := context.Background()
	db := testdb.New(t)
	s := postgres.NewServices(postgres.Wrap(db), guildhall.TestPasswordHasher())
	_, err := s.Accounts.CreateAccount(ctx, guildhall.NewAccount{Email: "real@example.com", DisplayName: "Real", Password: "a long password", PublicProfile: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = seed.Run(ctx, db, small(), "x")
	if err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("seed over a real account: %v; want a refusal naming --force", err)
	}
	var groups int
	if err := db.GetContext(ctx, &groups, `SELECT count(*) FROM groups`); err != nil || groups != 0 {
		t.Fatalf("groups after a refused seed: %d, %v", groups, err)
	}
	o := small()
	o.Force = true
	if _, err := seed.Run(ctx, db, o, "x"); err != nil {
		t.Fatalf("seed --force: %v", err)
	}
}
