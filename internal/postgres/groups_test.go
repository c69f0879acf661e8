package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/internal/testdb"
	"guildhall/templates"
)

// groupsFixture is a fresh database with the group services over it.
type groupsFixture struct {
	t   *testing.T
	ctx context.Context
	db  *DB
	s   *Services
}

func newGroupsFixture(t *testing.T) *groupsFixture {
	t.Helper()
	db := Wrap(testdb.New(t))
	return &groupsFixture{t: t, ctx: context.Background(), db: db, s: NewServices(db, guildhall.TestPasswordHasher())}
}

// account creates a site member named name and returns them as an actor.
func (f *groupsFixture) account(name string, opts ...func(*guildhall.NewAccount)) guildhall.Actor {
	f.t.Helper()
	email := strings.ReplaceAll(strings.ToLower(name), " ", ".") + "@example.com"
	n := guildhall.NewAccount{Email: email, DisplayName: name, Password: "correct horse battery", PublicProfile: true}
	for _, o := range opts {
		o(&n)
	}
	a, err := f.s.Accounts.CreateAccount(f.ctx, n)
	if err != nil {
		f.t.Fatalf("create account %s: %v", name, err)
	}
	return guildhall.ActorFor(a)
}

func asSiteAdmin(n *guildhall.NewAccount)        { n.SiteAdmin = true }
func withPrivateProfile(n *guildhall.NewAccount) { n.PublicProfile = false }

// elevated is an API caller with an elevated token and no account.
var elevated = guildhall.Actor{Elevated: true}

// group creates a group owned by owner whatever the site's policy, through
// an elevated caller naming owner as creator.
func (f *groupsFixture) group(owner guildhall.Actor, name string, p guildhall.Privacy) *guildhall.Group {
	f.t.Helper()
	c, err := f.s.Groups.CreateGroup(f.ctx, elevated, guildhall.GroupInput{Name: name, Privacy: p}, owner.ID)
	if err != nil {
		f.t.Fatalf("create group %q: %v", name, err)
	}
	if c.Group == nil {
		f.t.Fatalf("create group %q: got a request, want a group", name)
	}
	return c.Group
}

// addMember puts a in g with role, as the membership service would.
func (f *groupsFixture) addMember(g *guildhall.Group, a guildhall.Actor, role guildhall.Role) {
	f.t.Helper()
	f.exec(`INSERT INTO group_members (group_id, account_id, role) VALUES ($1, $2, $3)`, g.ID, a.ID, role)
	f.exec(`UPDATE groups SET members_count = members_count + 1 WHERE id = $1`, g.ID)
}

func (f *groupsFixture) exec(query string, args ...any) {
	f.t.Helper()
	if _, err := f.db.ExecContext(f.ctx, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
}

func (f *groupsFixture) count(query string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.GetContext(f.ctx, &n, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (f *groupsFixture) setPolicy(p guildhall.CreationPolicy) {
	f.t.Helper()
	if _, err := f.s.Settings.SetCreationPolicy(f.ctx, elevated, p); err != nil {
		f.t.Fatalf("set policy %s: %v", p, err)
	}
}

// query runs q as actor and fails the test on an error.
func (f *groupsFixture) query(actor guildhall.Actor, q guildhall.GroupQuery) *guildhall.Page[guildhall.GroupView] {
	f.t.Helper()
	page, err := f.s.Groups.QueryGroups(f.ctx, actor, q)
	if err != nil {
		f.t.Fatalf("query groups %+v: %v", q, err)
	}
	return page
}

// auditSentences returns the audit log, oldest first, as people read it.
func (f *groupsFixture) auditSentences() []string {
	f.t.Helper()
	page, err := f.s.Audit.ListAudit(f.ctx, elevated, guildhall.AuditQuery{Limit: guildhall.MaxPageSize})
	if err != nil {
		f.t.Fatalf("list audit: %v", err)
	}
	var out []string
	for _, e := range slices.Backward(page.Items) {
		out = append(out, templates.AuditSentence(e))
	}
	return out
}

func names(items []guildhall.GroupView) []string {
	out := make([]string, len(items))
	for i, g := range items {
		out[i] = g.Name
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// wantKind fails unless err wraps kind (nil for success).
func wantKind(t *testing.T, err, kind error) {
	t.Helper()
	switch {
	case kind == nil && err != nil:
		t.Fatalf("err = %v, want success", err)
	case kind != nil && !errors.Is(err, kind):
		t.Fatalf("err = %v, want %v", err, kind)
	}
}

// wantField fails unless err is a ValidationError naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *guildhall.ValidationError
	if !errors.As(err, &ve) || ve.For(field) == "" {
		t.Fatalf("err = %v, want a validation error naming %q", err, field)
	}
}

func TestCreateGroupValidation(t *testing.T) {
	t.Parallel()
	f := newGroupsFixture(t)
	admin := f.account("Ada Admin", asSiteAdmin)
	member := f.account("Mia Member")
	tests := []struct {
		name  string
		in    guildhall.GroupInput
		field string
	}{
		{"blank name after trim", guildhall.GroupInput{Name: "   \t "}, "name"},
		{"101-char name", guildhall.GroupInput{Name: strings.Repeat("n", 101)}, "name"},
		{"20,481-char description", guildhall.GroupInput{Name: "Ok", Description: strings.Repeat("d", 20481)}, "description"},
		{"bad privacy", guildhall.GroupInput{Name: "Ok", Privacy: "HIDDEN"}, "privacy"},
	}
	for _, actor := range []guildhall.Actor{admin, member} {
		for _, tt := range tests {
			t.Run(actor.DisplayName+"/"+tt.name, func(t *testing.T) {
				_, err := f.s.Groups.CreateGroup(f.ctx, actor, tt.in, "")
				wantField(t, err, tt.field)
			})
		}
	}
	for _, table := range []string{"groups", "group_members", "create_requests", "audit_log"} {
		if n := f.count(`SELECT count(*) FROM ` + table); n != 0 {
			t.Errorf("%s has %d rows after invalid creates, want 0", table, n)
		}
	}
	t.Run("limits themselves are fine", func(t *testing.T) {
		c, err := f.s.Groups.CreateGroup(f.ctx, admin, guildhall.GroupInput{
			Name: "  " + strings.Repeat("é", 100) + "  ", Description: strings.Repeat("d", 20480)}, "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Group.Name != strings.Repeat("é", 100) || c.Group.Privacy != guildhall.Public {
			t.Errorf("got name %q privacy %s, want the trimmed name and PUBLIC", c.Group.Name, c.Group.Privacy)
		}
	})
}

// Under "only site admins" a member is refused for who they are, before
// anything about the input: a 403, not a list of field errors.
func TestCreateGroupPolicyAnswersBeforeInput(t *testing.T) {
	t.Parallel()
	f := newGroupsFixture(t)
	member := f.account("Mia Member")
	f.setPolicy(guildhall.AdminsOnly)
	_, err := f.s.Groups.CreateGroup(f.ctx, member, guildhall.GroupInput{Name: "   "}, "")
	wantKind(t, err, guildhall.ErrForbidden)
	f.setPolicy(guildhall.AllMembers)
	_, err = f.s.Groups.CreateGroup(f.ctx, member, guildhall.GroupInput{Name: "   "}, "")
	wantField(t, err, "name")
}

func TestCreateGroupElevated(t *testing.T) {
	t.Parallel()
	f := newGroupsFixture(t)
	owner := f.account("Olga Owner")
	f.setPolicy(guildhall.AdminsOnly)
	in := guildhall.GroupInput{Name: "Token Made"}

	_, err := f.s.Groups.CreateGroup(f.ctx, elevated, in, "")
	wantField(t, err, "creatorId")
	_, err = f.s.Groups.CreateGroup(f.ctx, elevated, in, "0f6b2a4e-53b1-4a8e-9a55-1d1f5d8d2b10")
	wantField(t, err, "creatorId")
	_, err = f.s.Groups.CreateGroup(f.ctx, elevated, in, "nobody")
	wantField(t, err, "creatorId")

	c, err := f.s.Groups.CreateGroup(f.ctx, elevated, in, owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	g, err := f.s.Groups.GroupByID(f.ctx, owner, c.Group.ID)
	if err != nil {
		t.Fatal(err)
	}
	if g.OwnerID != owner.ID || g.ViewerRole != guildhall.RoleAdmin || g.MembersCount != 1 {
		t.Errorf("owner %s role %q members %d, want the creator as sole admin", g.OwnerID, g.ViewerRole, g.MembersCount)
	}
	if got := f.auditSentences(); !slices.Contains(got, "An elevated API token created Token Made") {
		t.Errorf("audit = %q, want the token's create", got)
	}
}

func TestSlugs(t *testing.T) {
	t.Parallel()
	f := newGroupsFixture(t)
	admin := f.account("Ada Admin", asSiteAdmin)
	owner := f.account("Olga Owner")
	outsider := f.account("Otto Outsider")

	var hiking []*guildhall.Group
	for _, want := range []string{"hiking-club", "hiking-club-2", "hiking-club-3"} {
		g := f.group(owner, "Hiking Club", guildhall.Public)
		if g.Slug != want {
			t.Fatalf("slug = %q, want %q", g.Slug, want)
		}
		hiking = append(hiking, g)
	}

	t.Run("accented names", func(t *testing.T) {
		if g := f.group(owner, "Café Crème", guildhall.Private); g.Slug != "cafe-creme" {
			t.Errorf("slug = %q, want cafe-creme", g.Slug)
		}
	})

	t.Run("rename moves the slug and the old one still finds the group", func(t *testing.T) {
		g, err := f.s.Groups.UpdateGroup(f.ctx, owner, hiking[0].ID, guildhall.GroupUpdate{Name: ptr("Mountain Walkers")})
		if err != nil {
			t.Fatal(err)
		}
		if g.Slug != "mountain-walkers" {
			t.Fatalf("slug = %q, want mountain-walkers", g.Slug)
		}
		for _, slug := range []string{"hiking-club", "mountain-walkers"} {
			v, err := f.s.Groups.GroupBySlug(f.ctx, outsider, slug)
			if err != nil {
				t.Fatalf("by slug %q: %v", slug, err)
			}
			if v.ID != g.ID || v.Slug != "mountain-walkers" {
				t.Errorf("by slug %q: got %s (slug %q), want the renamed group under its new slug", slug, v.Name, v.Slug)
			}
		}
		// The freed slug goes to the next group of that name; the new
		// group wins over the old redirect.
		fresh := f.group(owner, "Hiking Club", guildhall.Public)
		if fresh.Slug != "hiking-club" {
			t.Fatalf("slug = %q, want the freed hiking-club", fresh.Slug)
		}
		v, err := f.s.Groups.GroupBySlug(f.ctx, outsider, "hiking-club")
		if err != nil || v.ID != fresh.ID {
			t.Fatalf("by slug hiking-club: %v, %v; want the new group", v, err)
		}
	})

	t.Run("a rename that keeps the slug's words keeps the slug", func(t *testing.T) {
		g, err := f.s.Groups.UpdateGroup(f.ctx, owner, hiking[1].ID, guildhall.GroupUpdate{Name: ptr("HIKING  club!")})
		if err != nil {
			t.Fatal(err)
		}
		if g.Slug != "hiking-club-2" {
			t.Errorf("slug = %q, want hiking-club-2 kept", g.Slug)
		}
	})

	t.Run("a rename that changes the slug's words regenerates it", func(t *testing.T) {
		g := f.group(owner, "Foo 2", guildhall.Public)
		if g.Slug != "foo-2" {
			t.Fatalf("slug = %q, want foo-2", g.Slug)
		}
		g, err := f.s.Groups.UpdateGroup(f.ctx, owner, g.ID, guildhall.GroupUpdate{Name: ptr("Foo")})
		if err != nil {
			t.Fatal(err)
		}
		if g.Slug != "foo" {
			t.Errorf("slug = %q, want foo", g.Slug)
		}
	})

	t.Run("a group named New does not hide the new-group page", func(t *testing.T) {
		if g := f.group(owner, "New", guildhall.Public); g.Slug != "new-2" {
			t.Errorf("slug = %q, want new-2", g.Slug)
		}
	})

	randomSlug := regexp.MustCompile(`^[a-z2-7]{12}$`)
	t.Run("secret groups get random slugs", func(t *testing.T) {
		a := f.group(owner, "Hiking Club", guildhall.Secret)
		b := f.group(owner, "Hiking Club", guildhall.Secret)
		for _, g := range []*guildhall.Group{a, b} {
			if !randomSlug.MatchString(g.Slug) || strings.Contains(g.Slug, "hik") {
				t.Errorf("secret slug %q, want 12 random characters not derived from the name", g.Slug)
			}
		}
		if a.Slug == b.Slug {
			t.Errorf("two secret groups share slug %q", a.Slug)
		}
	})

	t.Run("turning secret hides the old slug from outsiders", func(t *testing.T) {
		g := f.group(owner, "Quiet Readers", guildhall.Public)
		sec, err := f.s.Groups.UpdateGroup(f.ctx, owner, g.ID, guildhall.GroupUpdate{Privacy: ptr(guildhall.Secret)})
		if err != nil {
			t.Fatal(err)
		}
		if !randomSlug.MatchString(sec.Slug) {
			t.Fatalf("slug after turning secret = %q, want a random one", sec.Slug)
		}
		for _, slug := range []string{"quiet-readers", sec.Slug} {
			_, err := f.s.Groups.GroupBySlug(f.ctx, outsider, slug)
			wantKind(t, err, guildhall.ErrNotFound)
			for _, a := range []guildhall.Actor{owner, admin} {
				v, err := f.s.Groups.GroupBySlug(f.ctx, a, slug)
				if err != nil || v.ID != g.ID || v.Slug != sec.Slug {
					t.Fatalf("%s by slug %q: %v, %v; want the group under its random slug", a.DisplayName, slug, v, err)
				}
			}
		}

		pub, err := f.s.Groups.UpdateGroup(f.ctx, owner, g.ID, guildhall.GroupUpdate{Privacy: ptr(guildhall.Private)})
		if err != nil {
			t.Fatal(err)
		}
		if pub.Slug != "quiet-readers" {
			t.Errorf("slug after leaving secret = %q, want quiet-readers", pub.Slug)
		}
		v, err := f.s.Groups.GroupBySlug(f.ctx, outsider, sec.Slug)
		if err != nil || v.ID != g.ID || v.Slug != "quiet-readers" {
			t.Errorf("by the former random slug: %v, %v; want a redirect to quiet-readers", v, err)
		}
	})

	t.Run("a deleted group frees its slug", func(t *testing.T) {
		g := f.group(owner, "Book Club", guildhall.Public)
		if _, err := f.s.Groups.DeleteGroup(f.ctx, owner, g.ID); err != nil {
			t.Fatal(err)
		}
		again := f.group(owner, "Book Club", guildhall.Public)
		if again.Slug != "book-club" {
			t.Errorf("slug = %q, want book-club freed by the delete", again.Slug)
		}
	})

	t.Run("unknown slug", func(t *testing.T) {
		_, err := f.s.Groups.GroupBySlug(f.ctx, admin, "no-such-group")
		wantKind(t, err, guildhall.ErrNotFound)
	})
}

// TestConcurrentCreatesGetDistinctSlugs: creates of one name at once all
// succeed, each with its own suffix (the unique index decides, the loser
// retries with the next one).
func TestConcurrentCreatesGetDistinctSlugs(t *testing.T) {
	t.Parallel()
	f := newGroupsFixture(t)
	admin := f.account("Ada Admin", asSiteAdmin)
	const n = 10
	slugs := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := f.s.Groups.CreateGroup(f.ctx, admin, guildhall.GroupInput{Name: "Race Club"}, "")
			errs[i] = err
			if err == nil {
				slugs[i] = c.Group.Slug
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent create: %v", err)
		}
	}
	want := []string{"race-club"}
	for i := 2; i <= n; i++ {
		want = append(want, fmt.Sprintf("race-club-%d", i))
	}
	slices.Sort(slugs)
	slices.Sort(want)
	if !slices.Equal(slugs, want) {
		t.Errorf("slugs = %q, want %q", slugs, want)
	}
}

func TestQueryGroupsFilters(t *testing.T) {
	t.Parallel()
	f := newGroupsFixture(t)
	owner := f.account("Olga Owner")
	outsider := f.account("Otto Outsider")
	before := time.Now().Add(-time.Hour)
	for _, g := range []struct {
		name string
		p    guildhall.Privacy
	}{
		{"Hiking Club", guildhall.Public},
		{"hiking fans", guildhall.Private},
		{"Nordic Hikers", guildhall.Public},
		{"Chess 100%", guildhall.Public},
		{"Chess 1000", guildhall.Private},
		{"Book_Worms", guildhall.Public},
		{"BookaWorms", guildhall.Public},
		{"Secret Hikers", guildhall.Secret},
	} {
		f.group(owner, g.name, g.p)
	}
	f.exec(`UPDATE groups SET members_count = 5 WHERE name LIKE 'Chess%'`)

	tests := []struct {
		name string
		cond []guildhall.Condition
		want []string
	}{
		{"contains, case-insensitive", []guildhall.Condition{guildhall.NameContains("HIK")},
			[]string{"Hiking Club", "hiking fans", "Nordic Hikers"}},
		{"starts with", []guildhall.Condition{{Field: guildhall.FieldName, Op: guildhall.OpStartsWith, Value: "hik"}},
			[]string{"Hiking Club", "hiking fans"}},
		{"contains escapes %", []guildhall.Condition{guildhall.NameContains("100%")}, []string{"Chess 100%"}},
		{"contains escapes _", []guildhall.Condition{guildhall.NameContains("k_w")}, []string{"Book_Worms"}},
		{"equals, case-insensitive", []guildhall.Condition{{Field: guildhall.FieldName, Op: guildhall.OpEq, Value: "HIKING CLUB"}},
			[]string{"Hiking Club"}},
		{"name in", []guildhall.Condition{{Field: guildhall.FieldName, Op: guildhall.OpIn, Value: []any{"chess 100%", "BOOK_WORMS", "Secret Hikers"}}},
			[]string{"Book_Worms", "Chess 100%"}},
		{"name not", []guildhall.Condition{{Field: guildhall.FieldName, Op: guildhall.OpNe, Value: "hiking CLUB"}, guildhall.NameContains("hik")},
			[]string{"hiking fans", "Nordic Hikers"}},
		{"privacy", []guildhall.Condition{guildhall.PrivacyIs(guildhall.Private)}, []string{"Chess 1000", "hiking fans"}},
		{"privacy secret, for an outsider", []guildhall.Condition{guildhall.PrivacyIs(guildhall.Secret)}, nil},
		{"privacy in", []guildhall.Condition{{Field: guildhall.FieldPrivacy, Op: guildhall.OpIn, Value: []any{guildhall.Private, guildhall.Secret}}},
			[]string{"Chess 1000", "hiking fans"}},
		{"privacy not", []guildhall.Condition{{Field: guildhall.FieldPrivacy, Op: guildhall.OpNe, Value: guildhall.Public}},
			[]string{"Chess 1000", "hiking fans"}},
		{"members count", []guildhall.Condition{{Field: guildhall.FieldMembersCount, Op: guildhall.OpGte, Value: 2}},
			[]string{"Chess 100%", "Chess 1000"}},
		{"created after", []guildhall.Condition{{Field: guildhall.FieldCreatedDate, Op: guildhall.OpGt, Value: before}, guildhall.NameContains("book")},
			[]string{"Book_Worms", "BookaWorms"}},
		{"active before", []guildhall.Condition{{Field: guildhall.FieldLastActivityDate, Op: guildhall.OpLt, Value: before}}, nil},
		{"conditions combine", []guildhall.Condition{guildhall.NameContains("chess"), guildhall.PrivacyIs(guildhall.Public)},
			[]string{"Chess 100%"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := f.query(outsider, guildhall.GroupQuery{Conditions: tt.cond, Sort: guildhall.Sort{Field: guildhall.FieldName}})
			got := names(page.Items)
			if !slices.Equal(got, tt.want) && (len(got) != 0 || len(tt.want) != 0) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if page.Total != len(tt.want) {
				t.Errorf("total = %d, want %d", page.Total, len(tt.want))
			}
		})
	}

	t.Run("invalid query names the field", func(t *testing.T) {
		_, err := f.s.Groups.QueryGroups(f.ctx, outsider, guildhall.GroupQuery{
			Conditions: []guildhall.Condition{{Field: "owner", Op: guildhall.OpEq, Value: "x"}}})
		wantField(t, err, "owner")
		_, err = f.s.Groups.QueryGroups(f.ctx, outsider, guildhall.GroupQuery{Limit: 101})
		wantField(t, err, "paging.limit")
	})
}

// directory creates the groups that the sort and paging tests walk: 45 that
// everyone sees, with repeated names, member counts and activity times so
// that ties must be broken by id, and 5 secret ones that only their owner
// and site admins see.
func directory(f *groupsFixture, owner guildhall.Actor) {
	f.t.Helper()
	privacies := []guildhall.Privacy{guildhall.Public, guildhall.Private}
	for i := range 45 {
		name := fmt.Sprintf("Group %02d", i)
		if i%7 == 0 {
			name = "Same Name"
		}
		f.group(owner, name, privacies[i%2])
	}
	for i := range 5 {
		f.group(owner, fmt.Sprintf("Hidden %d", i), guildhall.Secret)
	}
	f.exec(`UPDATE groups SET members_count = 1 + (abs(hashtext(name || id::text)) % 4),
		last_activity_at = now() - (abs(hashtext(id::text)) % 5) * interval '1 hour'`)
}

// groupLess orders groups as QueryGroups must for sort s.
func groupLess(s guildhall.Sort) func(a, b guildhall.GroupView) int {
	return func(a, b guildhall.GroupView) int {
		var c int
		switch s.Field {
		case guildhall.FieldName:
			c = strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		case guildhall.FieldCreatedDate:
			c = a.CreatedAt.Compare(b.CreatedAt)
		case guildhall.FieldMembersCount:
			c = cmp.Compare(a.MembersCount, b.MembersCount)
		case guildhall.FieldLastActivityDate:
			c = a.LastActivityAt.Compare(b.LastActivityAt)
		}
		if c == 0 {
			c = strings.Compare(a.ID, b.ID)
		}
		if s.Desc {
			c = -c
		}
		return c
	}
}

func allSorts() []guildhall.Sort {
	var out []guildhall.Sort
	for _, field := range guildhall.Sortable {
		out = append(out, guildhall.Sort{Field: field}, guildhall.Sort{Field: field, Desc: true})
	}
	return out
}

func sortName(s guildhall.Sort) string {
	if s.Desc {
		return string(s.Field) + " desc"
	}
	return string(s.Field) + " asc"
}

func TestQueryGroupsSortAndPaging(t *testing.T) {
	t.Parallel()
	f := newGroupsFixture(t)
	admin := f.account("Ada Admin", asSiteAdmin)
	owner := f.account("Olga Owner")
	outsider := f.account("Otto Outsider")
	directory(f, owner)

	for _, s := range allSorts() {
		t.Run("sort by "+sortName(s), func(t *testing.T) {
			page := f.query(admin, guildhall.GroupQuery{Sort: s, Limit: 100})
			if len(page.Items) != 50 {
				t.Fatalf("got %d groups, want 50", len(page.Items))
			}
			if !slices.IsSortedFunc(page.Items, groupLess(s)) {
				t.Errorf("not sorted by %s: %q", sortName(s), names(page.Items))
			}
		})
	}

	t.Run("the default sort is newest first", func(t *testing.T) {
		page := f.query(admin, guildhall.GroupQuery{})
		if page.Limit != 20 || len(page.Items) != 20 || !slices.IsSortedFunc(page.Items, groupLess(guildhall.Sort{Field: guildhall.FieldCreatedDate, Desc: true})) {
			t.Errorf("default query: limit %d, %d items, want 20 newest first", page.Limit, len(page.Items))
		}
	})

	for _, tt := range []struct {
		who   string
		actor guildhall.Actor
		total int
	}{
		{"outsider", outsider, 45},
		{"member of the secret groups", owner, 50},
		{"site admin", admin, 50},
	} {
		t.Run("offset pages for "+tt.who, func(t *testing.T) {
			seen := map[string]bool{}
			sizes := []int{}
			for offset := 0; offset < tt.total; offset += 20 {
				page := f.query(tt.actor, guildhall.GroupQuery{Sort: guildhall.Sort{Field: guildhall.FieldName}, Limit: 20, Offset: offset})
				if page.Total != tt.total {
					t.Fatalf("total = %d, want %d", page.Total, tt.total)
				}
				sizes = append(sizes, len(page.Items))
				for _, g := range page.Items {
					if seen[g.ID] {
						t.Fatalf("%s on two pages", g.Name)
					}
					seen[g.ID] = true
					if tt.actor.ID == outsider.ID && g.Privacy == guildhall.Secret {
						t.Fatalf("outsider sees secret %s", g.Name)
					}
				}
			}
			want := []int{20, 20, tt.total - 40}
			if !slices.Equal(sizes, want) || len(seen) != tt.total {
				t.Errorf("page sizes %v (%d groups), want %v", sizes, len(seen), want)
			}
		})
	}

	for _, s := range allSorts() {
		t.Run("cursor paging by "+sortName(s), func(t *testing.T) {
			all := f.query(outsider, guildhall.GroupQuery{Sort: s, Limit: 100}).Items
			var forward []guildhall.GroupView
			q := guildhall.GroupQuery{Sort: s, Limit: 20}
			for pages := 0; ; pages++ {
				if pages > 5 {
					t.Fatal("cursor paging does not end")
				}
				page := f.query(outsider, q)
				forward = append(forward, page.Items...)
				if page.Next == "" {
					break
				}
				q.Cursor, q.Backward = page.Next, false
			}
			if got, want := ids(forward), ids(all); !slices.Equal(got, want) {
				t.Fatalf("forward visit %q, want every visible group once in order %q", names(forward), names(all))
			}

			// And back again from the last page, through Prev.
			var backward []guildhall.GroupView
			last := f.query(outsider, q)
			backward = append(backward, last.Items...)
			for cur := last.Prev; cur != ""; {
				page := f.query(outsider, guildhall.GroupQuery{Sort: s, Limit: 20, Cursor: cur, Backward: true})
				backward = append(slices.Clone(page.Items), backward...)
				cur = page.Prev
			}
			if got, want := ids(backward), ids(all); !slices.Equal(got, want) {
				t.Fatalf("backward visit %q, want %q", names(backward), names(all))
			}
		})
	}

	t.Run("a cursor of another sort or made up is refused", func(t *testing.T) {
		page := f.query(outsider, guildhall.GroupQuery{Sort: guildhall.Sort{Field: guildhall.FieldName}, Limit: 5})
		_, err := f.s.Groups.QueryGroups(f.ctx, outsider, guildhall.GroupQuery{Sort: guildhall.Sort{Field: guildhall.FieldMembersCount}, Cursor: page.Next})
		wantField(t, err, "cursor")
		_, err = f.s.Groups.QueryGroups(f.ctx, outsider, guildhall.GroupQuery{Cursor: "bm90IGEgY3Vyc29y"})
		wantField(t, err, "cursor")
	})
}

func ids(items []guildhall.GroupView) []string {
	out := make([]string, len(items))
	for i, g := range items {
		out[i] = g.ID
	}
	return out
}

func TestUpdateGroup(t *testing.T) {
	t.Parallel()
	f := newGroupsFixture(t)
	owner := f.account("Olga Owner")
	settings := &guildhall.GroupSettings{MembersCanApprove: true, ShowMemberList: true}
	c, err := f.s.Groups.CreateGroup(f.ctx, elevated, guildhall.GroupInput{
		Name: "Hiking Club", Description: "We walk.", Privacy: guildhall.Private, Settings: settings}, owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	orig := c.Group

	tests := []struct {
		name   string
		u      guildhall.GroupUpdate
		change func(g *guildhall.Group)
	}{
		{"description only", guildhall.GroupUpdate{Description: ptr("We walk far.")},
			func(g *guildhall.Group) { g.Description = "We walk far." }},
		{"one setting only", guildhall.GroupUpdate{MembersCanInvite: ptr(true)},
			func(g *guildhall.Group) { g.MembersCanInvite = true }},
		{"two settings", guildhall.GroupUpdate{MembersCanApprove: ptr(false), ShowMemberList: ptr(false)},
			func(g *guildhall.Group) { g.MembersCanApprove, g.ShowMemberList = false, false }},
		{"privacy only", guildhall.GroupUpdate{Privacy: ptr(guildhall.Public)},
			func(g *guildhall.Group) { g.Privacy = guildhall.Public }},
		{"name, trimmed", guildhall.GroupUpdate{Name: ptr("  Hill Walkers ")},
			func(g *guildhall.Group) { g.Name, g.Slug = "Hill Walkers", "hill-walkers" }},
	}
	want := *orig
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.s.Groups.UpdateGroup(f.ctx, owner, orig.ID, tt.u)
			if err != nil {
				t.Fatal(err)
			}
			tt.change(&want)
			if !got.UpdatedAt.After(want.UpdatedAt) || !got.LastActivityAt.After(want.LastActivityAt) {
				t.Errorf("updated %v, activity %v: want both later than %v", got.UpdatedAt, got.LastActivityAt, want.UpdatedAt)
			}
			want.UpdatedAt, want.LastActivityAt = got.UpdatedAt, got.LastActivityAt
			if *got != want {
				t.Errorf("got  %+v\nwant %+v", *got, want)
			}
		})
	}

	t.Run("invalid fields change nothing", func(t *testing.T) {
		for _, u := range []struct {
			field string
			u     guildhall.GroupUpdate
		}{
			{"name", guildhall.GroupUpdate{Name: ptr("  "), Description: ptr("changed")}},
			{"description", guildhall.GroupUpdate{Description: ptr(strings.Repeat("x", 20481))}},
			{"privacy", guildhall.GroupUpdate{Privacy: ptr(guildhall.Privacy("OPEN"))}},
		} {
			_, err := f.s.Groups.UpdateGroup(f.ctx, owner, orig.ID, u.u)
			wantField(t, err, u.field)
		}
		got, err := f.s.Groups.GroupByID(f.ctx, owner, orig.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Group != want {
			t.Errorf("after invalid updates: %+v, want %+v", got.Group, want)
		}
	})

	t.Run("an empty update changes and records nothing", func(t *testing.T) {
		entries := f.count(`SELECT count(*) FROM audit_log`)
		got, err := f.s.Groups.UpdateGroup(f.ctx, owner, orig.ID, guildhall.GroupUpdate{Description: ptr(want.Description)})
		if err != nil {
			t.Fatal(err)
		}
		if *got != want || f.count(`SELECT count(*) FROM audit_log`) != entries {
			t.Errorf("a no-op update changed the group or the log")
		}
	})

	wantLog := []string{
		"An elevated API token created Hiking Club",
		"Olga Owner updated Hiking Club",
		"Olga Owner updated Hiking Club",
		"Olga Owner updated Hiking Club",
		"Olga Owner updated Hiking Club",
		"Olga Owner changed the privacy of Hiking Club from Private to Public",
		"Olga Owner renamed Hiking Club to Hill Walkers",
	}
	if got := f.auditSentences(); !slices.Equal(got, wantLog) {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLog, "\n"))
	}
}

func TestDeleteGroupHidesItEverywhere(t *testing.T) {
	t.Parallel()
	f := newGroupsFixture(t)
	admin := f.account("Ada Admin", asSiteAdmin)
	owner := f.account("Olga Owner")
	g := f.group(owner, "Old Club", guildhall.Public)
	renamed, err := f.s.Groups.UpdateGroup(f.ctx, owner, g.ID, guildhall.GroupUpdate{Name: ptr("Gone Club")})
	if err != nil {
		t.Fatal(err)
	}
	keep := f.group(owner, "Kept Club", guildhall.Public)

	deleted, err := f.s.Groups.DeleteGroup(f.ctx, owner, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if deleted.ID != g.ID || deleted.Name != "Gone Club" {
		t.Errorf("delete returned %+v, want the group as it was", deleted)
	}
	for _, a := range []guildhall.Actor{admin, owner} {
		_, err := f.s.Groups.GroupByID(f.ctx, a, g.ID)
		wantKind(t, err, guildhall.ErrNotFound)
		for _, slug := range []string{renamed.Slug, g.Slug} {
			_, err = f.s.Groups.GroupBySlug(f.ctx, a, slug)
			wantKind(t, err, guildhall.ErrNotFound)
		}
		page := f.query(a, guildhall.GroupQuery{Limit: 100})
		if page.Total != 1 || len(page.Items) != 1 || page.Items[0].ID != keep.ID {
			t.Errorf("%s: query total %d items %q, want only Kept Club", a.DisplayName, page.Total, names(page.Items))
		}
		_, err = f.s.Groups.UpdateGroup(f.ctx, a, g.ID, guildhall.GroupUpdate{Description: ptr("x")})
		wantKind(t, err, guildhall.ErrNotFound)
		_, err = f.s.Groups.DeleteGroup(f.ctx, a, g.ID)
		wantKind(t, err, guildhall.ErrNotFound)
	}
	if got := f.auditSentences(); got[len(got)-1] != "Olga Owner deleted Gone Club" {
		t.Errorf("last audit entry %q, want the delete", got[len(got)-1])
	}
}

func TestGroupViewCarriesViewerState(t *testing.T) {
	t.Parallel()
	f := newGroupsFixture(t)
	owner := f.account("Olga Owner")
	member := f.account("Mia Member")
	asker := f.account("Ann Asker")
	g := f.group(owner, "Private Club", guildhall.Private)
	f.addMember(g, member, guildhall.RoleMember)
	f.exec(`INSERT INTO join_requests (group_id, account_id) VALUES ($1, $2)`, g.ID, asker.ID)

	for _, tt := range []struct {
		actor   guildhall.Actor
		role    guildhall.Role
		pending bool
	}{
		{owner, guildhall.RoleAdmin, false},
		{member, guildhall.RoleMember, false},
		{asker, guildhall.RoleNone, true},
	} {
		byID, err := f.s.Groups.GroupByID(f.ctx, tt.actor, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		listed := f.query(tt.actor, guildhall.GroupQuery{}).Items[0]
		for _, v := range []guildhall.GroupView{*byID, listed} {
			if v.ViewerRole != tt.role || v.HasPendingRequest != tt.pending || v.MembersCount != 2 {
				t.Errorf("%s: role %q pending %v members %d, want %q %v 2",
					tt.actor.DisplayName, v.ViewerRole, v.HasPendingRequest, v.MembersCount, tt.role, tt.pending)
			}
		}
	}
}

// TestQueryGroupsTotalOnEveryPage: the total is the same on every offset
// page (full, last, past the end), counted or inferred, and never counts a
// secret group the viewer may not see.
func TestQueryGroupsTotalOnEveryPage(t *testing.T) {
	t.Parallel()
	f := newGroupsFixture(t)
	owner := f.account("Olga Owner")
	viewer := f.account("Vic Viewer")
	for i := range 7 {
		f.group(owner, fmt.Sprintf("Club %d", i), guildhall.Public)
	}
	f.group(owner, "Hidden Club", guildhall.Secret)
	for _, c := range []struct{ limit, offset, items int }{
		{10, 0, 7}, // first and last page, not full: inferred
		{3, 0, 3},  // full: counted
		{3, 6, 1},  // last page: inferred
		{3, 9, 0},  // past the end: counted
		{7, 0, 7},  // exactly full: counted
	} {
		p := f.query(viewer, guildhall.GroupQuery{Limit: c.limit, Offset: c.offset})
		if len(p.Items) != c.items || p.Total != 7 {
			t.Errorf("limit %d offset %d: %d items, total %d; want %d items, total 7", c.limit, c.offset, len(p.Items), p.Total, c.items)
		}
	}
}
