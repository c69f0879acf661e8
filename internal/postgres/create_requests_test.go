package postgres

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

// requestFixture is a site on the default policy (members need approval)
// with a site admin, a requester and another member.
type requestFixture struct {
	*groupsFixture
	admin, mia, otto guildhall.Actor
}

func newRequestFixture(t *testing.T) *requestFixture {
	t.Helper()
	f := newGroupsFixture(t)
	return &requestFixture{groupsFixture: f,
		admin: f.account("Ada Admin", asSiteAdmin), mia: f.account("Mia Member"), otto: f.account("Otto Other")}
}

// request submits a create request as actor.
func (f *requestFixture) request(actor guildhall.Actor, name string, p guildhall.Privacy) *guildhall.CreateRequest {
	f.t.Helper()
	c, err := f.s.Groups.CreateGroup(f.ctx, actor, guildhall.GroupInput{Name: name, Description: "About " + name, Privacy: p}, "")
	if err != nil {
		f.t.Fatalf("request %q: %v", name, err)
	}
	if c.Request == nil {
		f.t.Fatalf("request %q: the group was created at once, want a pending request", name)
	}
	return c.Request
}

func (f *requestFixture) requestByID(id string) *guildhall.CreateRequest {
	f.t.Helper()
	r, err := f.s.CreateRequests.CreateRequestByID(f.ctx, f.admin, id)
	if err != nil {
		f.t.Fatalf("request %s: %v", id, err)
	}
	return r
}

// one returns a function that takes what a bulk call returns and gives its
// single result, failing on a call error: one(t)(service.Approve…(…)).
func one(t *testing.T) func([]guildhall.BulkResult[guildhall.CreateRequest], error) guildhall.BulkResult[guildhall.CreateRequest] {
	return func(res []guildhall.BulkResult[guildhall.CreateRequest], err error) guildhall.BulkResult[guildhall.CreateRequest] {
		t.Helper()
		if err != nil {
			t.Fatalf("bulk call: %v", err)
		}
		if len(res) != 1 {
			t.Fatalf("got %d results, want 1", len(res))
		}
		return res[0]
	}
}

func TestApproveCreateRequest(t *testing.T) {
	t.Parallel()
	f := newRequestFixture(t)
	r := f.request(f.mia, "Hiking Club", guildhall.Private)

	// Until approved, there is no group for anyone.
	for _, a := range []guildhall.Actor{f.admin, f.mia, f.otto} {
		if page := f.query(a, guildhall.GroupQuery{}); page.Total != 0 {
			t.Errorf("%s sees %q before approval", a.DisplayName, names(page.Items))
		}
		_, err := f.s.Groups.GroupBySlug(f.ctx, a, "hiking-club")
		wantKind(t, err, guildhall.ErrNotFound)
	}

	res := one(t)(f.s.CreateRequests.ApproveCreateRequests(f.ctx, f.admin, []string{r.ID}))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	got := res.Item
	if got.Status != guildhall.Approved || got.GroupID == nil || got.DecidedAt == nil ||
		got.DecidedBy == nil || *got.DecidedBy != f.admin.ID || got.RequesterName != "Mia Member" {
		t.Fatalf("approved request = %+v", got)
	}
	g, err := f.s.Groups.GroupByID(f.ctx, f.mia, *got.GroupID)
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "Hiking Club" || g.Description != "About Hiking Club" || g.Privacy != guildhall.Private ||
		g.Slug != "hiking-club" || g.OwnerID != f.mia.ID || g.ViewerRole != guildhall.RoleAdmin || g.MembersCount != 1 {
		t.Errorf("approved group = %+v, want Mia's private Hiking Club with her as its only admin", g)
	}
	if n := f.count(`SELECT count(*) FROM group_members WHERE group_id = $1`, g.ID); n != 1 {
		t.Errorf("%d members, want 1", n)
	}
	mine, err := f.s.CreateRequests.MyCreateRequests(f.ctx, f.mia, guildhall.RequestQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.Items) != 1 || mine.Items[0].Status != guildhall.Approved {
		t.Errorf("Mia's requests = %+v, want the approved one", mine.Items)
	}

	t.Run("a secret group gets a random slug", func(t *testing.T) {
		r := f.request(f.mia, "Quiet Circle", guildhall.Secret)
		res := one(t)(f.s.CreateRequests.ApproveCreateRequests(f.ctx, f.admin, []string{r.ID}))
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		g, err := f.s.Groups.GroupByID(f.ctx, f.mia, *res.Item.GroupID)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(g.Slug, "quiet") || len(g.Slug) != guildhall.RandomSlugLength {
			t.Errorf("secret slug %q", g.Slug)
		}
		_, err = f.s.Groups.GroupByID(f.ctx, f.otto, g.ID)
		wantKind(t, err, guildhall.ErrNotFound)
	})
}

func TestRejectCreateRequest(t *testing.T) {
	t.Parallel()
	f := newRequestFixture(t)
	r := f.request(f.mia, "Hiking Club", guildhall.Public)

	_, err := f.s.CreateRequests.RejectCreateRequests(f.ctx, f.admin,
		[]guildhall.Rejection{{ID: r.ID, Reason: strings.Repeat("x", 1001)}})
	wantField(t, err, "rejections[0].reason")
	if got := f.requestByID(r.ID); got.Status != guildhall.Pending {
		t.Fatalf("status after an invalid rejection = %s, want PENDING", got.Status)
	}

	reason := "We already have a hiking group; join that one."
	res := one(t)(f.s.CreateRequests.RejectCreateRequests(f.ctx, f.admin, []guildhall.Rejection{{ID: r.ID, Reason: reason}}))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	mine, err := f.s.CreateRequests.MyCreateRequests(f.ctx, f.mia, guildhall.RequestQuery{Status: guildhall.Rejected})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.Items) != 1 || mine.Items[0].RejectionReason != reason || mine.Items[0].GroupID != nil {
		t.Errorf("Mia's rejected requests = %+v, want one with the reason", mine.Items)
	}
	if n := f.count(`SELECT count(*) FROM groups`); n != 0 {
		t.Errorf("%d groups after a rejection, want 0", n)
	}
	// A reason of exactly 1,000 characters is fine.
	r2 := f.request(f.mia, "Chess Club", guildhall.Public)
	res = one(t)(f.s.CreateRequests.RejectCreateRequests(f.ctx, f.admin, []guildhall.Rejection{{ID: r2.ID, Reason: strings.Repeat("é", 1000)}}))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
}

func TestCancelCreateRequest(t *testing.T) {
	t.Parallel()
	f := newRequestFixture(t)
	r := f.request(f.mia, "Hiking Club", guildhall.Public)

	_, err := f.s.CreateRequests.CancelCreateRequest(f.ctx, f.otto, r.ID)
	wantKind(t, err, guildhall.ErrNotFound)
	_, err = f.s.CreateRequests.CancelCreateRequest(f.ctx, f.admin, r.ID)
	wantKind(t, err, guildhall.ErrForbidden)
	if got := f.requestByID(r.ID); got.Status != guildhall.Pending {
		t.Fatalf("status = %s after refused cancels, want PENDING", got.Status)
	}

	got, err := f.s.CreateRequests.CancelCreateRequest(f.ctx, f.mia, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != guildhall.Canceled {
		t.Errorf("status = %s, want CANCELED", got.Status)
	}
	_, err = f.s.CreateRequests.CancelCreateRequest(f.ctx, f.mia, r.ID)
	wantKind(t, err, guildhall.ErrFailedPrecondition)
	if guildhall.Message(err) != "This request was already canceled." {
		t.Errorf("message %q", guildhall.Message(err))
	}
	res := one(t)(f.s.CreateRequests.ApproveCreateRequests(f.ctx, f.admin, []string{r.ID}))
	wantKind(t, res.Err, guildhall.ErrFailedPrecondition)
	_, err = f.s.CreateRequests.CancelCreateRequest(f.ctx, f.mia, "not-an-id")
	wantKind(t, err, guildhall.ErrNotFound)
}

func TestDecidingTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	f := newRequestFixture(t)
	approved := f.request(f.mia, "Hiking Club", guildhall.Public)
	rejected := f.request(f.mia, "Chess Club", guildhall.Public)
	if res := one(t)(f.s.CreateRequests.ApproveCreateRequests(f.ctx, f.admin, []string{approved.ID})); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := one(t)(f.s.CreateRequests.RejectCreateRequests(f.ctx, f.admin, []guildhall.Rejection{{ID: rejected.ID, Reason: "No."}})); res.Err != nil {
		t.Fatal(res.Err)
	}
	before := []*guildhall.CreateRequest{f.requestByID(approved.ID), f.requestByID(rejected.ID)}
	audit := f.count(`SELECT count(*) FROM audit_log`)

	tests := []struct {
		name string
		call func() ([]guildhall.BulkResult[guildhall.CreateRequest], error)
		msg  string
	}{
		{"approve the approved", func() ([]guildhall.BulkResult[guildhall.CreateRequest], error) {
			return f.s.CreateRequests.ApproveCreateRequests(f.ctx, f.admin, []string{approved.ID})
		}, "This request was already approved."},
		{"reject the approved", func() ([]guildhall.BulkResult[guildhall.CreateRequest], error) {
			return f.s.CreateRequests.RejectCreateRequests(f.ctx, f.admin, []guildhall.Rejection{{ID: approved.ID, Reason: "Changed my mind"}})
		}, "This request was already approved."},
		{"approve the rejected", func() ([]guildhall.BulkResult[guildhall.CreateRequest], error) {
			return f.s.CreateRequests.ApproveCreateRequests(f.ctx, f.admin, []string{rejected.ID})
		}, "This request was already rejected."},
		{"reject the rejected", func() ([]guildhall.BulkResult[guildhall.CreateRequest], error) {
			return f.s.CreateRequests.RejectCreateRequests(f.ctx, f.admin, []guildhall.Rejection{{ID: rejected.ID}})
		}, "This request was already rejected."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := one(t)(tt.call())
			wantKind(t, res.Err, guildhall.ErrFailedPrecondition)
			if guildhall.Message(res.Err) != tt.msg || res.Item == nil {
				t.Errorf("got %q (item %v), want %q with the request as it is", guildhall.Message(res.Err), res.Item, tt.msg)
			}
		})
	}
	after := []*guildhall.CreateRequest{f.requestByID(approved.ID), f.requestByID(rejected.ID)}
	for i := range before {
		if b, a := before[i], after[i]; b.Status != a.Status || b.RejectionReason != a.RejectionReason ||
			!b.DecidedAt.Equal(*a.DecidedAt) || (b.GroupID == nil) != (a.GroupID == nil) {
			t.Errorf("request changed: %+v → %+v", b, a)
		}
	}
	if n := f.count(`SELECT count(*) FROM groups`); n != 1 {
		t.Errorf("%d groups, want 1", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_log`); n != audit {
		t.Errorf("audit log grew from %d to %d on refused decisions", audit, n)
	}
}

func TestBulkCreateRequestDecisions(t *testing.T) {
	t.Parallel()
	f := newRequestFixture(t)
	p1 := f.request(f.mia, "One", guildhall.Public)
	p2 := f.request(f.otto, "Two", guildhall.Public)
	done := f.request(f.mia, "Done", guildhall.Public)
	if _, err := f.s.CreateRequests.CancelCreateRequest(f.ctx, f.mia, done.ID); err != nil {
		t.Fatal(err)
	}
	const unknown = "2f1e4b8a-6c3d-4e5f-8a9b-0c1d2e3f4a5b"

	res, err := f.s.CreateRequests.ApproveCreateRequests(f.ctx, f.admin, []string{p1.ID, done.ID, unknown, "junk", p2.ID})
	if err != nil {
		t.Fatal(err)
	}
	want := []error{nil, guildhall.ErrFailedPrecondition, guildhall.ErrNotFound, guildhall.ErrNotFound, nil}
	if len(res) != len(want) {
		t.Fatalf("got %d results, want %d", len(res), len(want))
	}
	for i, r := range res {
		if want[i] == nil && r.Err != nil || want[i] != nil && !errors.Is(r.Err, want[i]) {
			t.Errorf("item %d (%s): err %v, want %v", i, r.ID, r.Err, want[i])
		}
		if want[i] == nil && (r.Item == nil || r.Item.Status != guildhall.Approved) {
			t.Errorf("item %d: %+v, want approved", i, r.Item)
		}
	}
	if n := f.count(`SELECT count(*) FROM groups`); n != 2 {
		t.Errorf("%d groups, want 2", n)
	}

	t.Run("a mix of rejections", func(t *testing.T) {
		p3 := f.request(f.mia, "Three", guildhall.Public)
		res, err := f.s.CreateRequests.RejectCreateRequests(f.ctx, f.admin,
			[]guildhall.Rejection{{ID: p1.ID}, {ID: p3.ID, Reason: "Too close to One."}, {ID: unknown}})
		if err != nil {
			t.Fatal(err)
		}
		wantKind(t, res[0].Err, guildhall.ErrFailedPrecondition)
		wantKind(t, res[1].Err, nil)
		wantKind(t, res[2].Err, guildhall.ErrNotFound)
		if res[1].Item.Status != guildhall.Rejected || res[1].Item.RejectionReason != "Too close to One." {
			t.Errorf("rejected item = %+v", res[1].Item)
		}
	})

	t.Run("at most 100 at once", func(t *testing.T) {
		ids := make([]string, 101)
		for i := range ids {
			ids[i] = unknown
		}
		_, err := f.s.CreateRequests.ApproveCreateRequests(f.ctx, f.admin, ids)
		wantField(t, err, "createRequestIds")
		_, err = f.s.CreateRequests.RejectCreateRequests(f.ctx, f.admin, make([]guildhall.Rejection, 101))
		wantField(t, err, "rejections")
		res, err := f.s.CreateRequests.ApproveCreateRequests(f.ctx, f.admin, ids[:100])
		if err != nil || len(res) != 100 {
			t.Errorf("100 ids: %d results, %v", len(res), err)
		}
	})
}

func TestCreateRequestPermissions(t *testing.T) {
	t.Parallel()
	f := newRequestFixture(t)
	r := f.request(f.mia, "Hiking Club", guildhall.Public)

	for _, a := range []guildhall.Actor{f.mia, f.otto} {
		t.Run(a.DisplayName, func(t *testing.T) {
			_, err := f.s.CreateRequests.ApproveCreateRequests(f.ctx, a, []string{r.ID})
			wantKind(t, err, guildhall.ErrForbidden)
			_, err = f.s.CreateRequests.RejectCreateRequests(f.ctx, a, []guildhall.Rejection{{ID: r.ID}})
			wantKind(t, err, guildhall.ErrForbidden)
			_, err = f.s.CreateRequests.ListCreateRequests(f.ctx, a, guildhall.RequestQuery{})
			wantKind(t, err, guildhall.ErrForbidden)
			_, err = f.s.Audit.ListAudit(f.ctx, a, guildhall.AuditQuery{})
			wantKind(t, err, guildhall.ErrForbidden)
			_, err = f.s.Settings.SetCreationPolicy(f.ctx, a, guildhall.AllMembers)
			wantKind(t, err, guildhall.ErrForbidden)
		})
	}
	if got := f.requestByID(r.ID); got.Status != guildhall.Pending {
		t.Errorf("status = %s after refused decisions, want PENDING", got.Status)
	}

	t.Run("by id: the requester and site admins only", func(t *testing.T) {
		for _, tt := range []struct {
			actor guildhall.Actor
			want  error
		}{{f.mia, nil}, {f.admin, nil}, {f.otto, guildhall.ErrNotFound}} {
			got, err := f.s.CreateRequests.CreateRequestByID(f.ctx, tt.actor, r.ID)
			wantKind(t, err, tt.want)
			if err == nil && got.ID != r.ID {
				t.Errorf("%s got request %s", tt.actor.DisplayName, got.ID)
			}
		}
	})

	t.Run("my requests are only mine", func(t *testing.T) {
		page, err := f.s.CreateRequests.MyCreateRequests(f.ctx, f.otto, guildhall.RequestQuery{})
		if err != nil || page.Total != 0 || len(page.Items) != 0 {
			t.Errorf("Otto's requests: %+v, %v; want none", page, err)
		}
	})

	t.Run("policy", func(t *testing.T) {
		_, err := f.s.Settings.SetCreationPolicy(f.ctx, f.admin, "EVERYONE")
		wantField(t, err, "creationPolicy")
		st, err := f.s.Settings.SetCreationPolicy(f.ctx, f.admin, guildhall.AllMembers)
		if err != nil || st.CreationPolicy != guildhall.AllMembers {
			t.Fatalf("set policy: %+v, %v", st, err)
		}
		st, err = f.s.Settings.SiteSettings(f.ctx)
		if err != nil || st.CreationPolicy != guildhall.AllMembers {
			t.Errorf("site settings: %+v, %v", st, err)
		}
	})
}

func TestListCreateRequests(t *testing.T) {
	t.Parallel()
	f := newRequestFixture(t)
	var made []*guildhall.CreateRequest
	for _, name := range []string{"A", "B", "C", "D", "E"} {
		made = append(made, f.request(f.mia, name, guildhall.Public))
	}
	made = append(made, f.request(f.otto, "F", guildhall.Public))
	if _, err := f.s.CreateRequests.RejectCreateRequests(f.ctx, f.admin, []guildhall.Rejection{{ID: made[1].ID}, {ID: made[3].ID}}); err != nil {
		t.Fatal(err)
	}

	reqNames := func(p *guildhall.Page[guildhall.CreateRequest]) string {
		var out []string
		for _, r := range p.Items {
			out = append(out, r.Name)
		}
		return strings.Join(out, "")
	}
	tests := []struct {
		name  string
		mine  bool
		q     guildhall.RequestQuery
		want  string
		total int
	}{
		{"all, newest first", false, guildhall.RequestQuery{}, "FEDCBA", 6},
		{"pending", false, guildhall.RequestQuery{Status: guildhall.Pending}, "FECA", 4},
		{"rejected", false, guildhall.RequestQuery{Status: guildhall.Rejected}, "DB", 2},
		{"paged", false, guildhall.RequestQuery{Limit: 2, Offset: 2}, "DC", 6},
		{"mine", true, guildhall.RequestQuery{}, "EDCBA", 5},
		{"mine pending, paged", true, guildhall.RequestQuery{Status: guildhall.Pending, Limit: 2, Offset: 1}, "CA", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := f.s.CreateRequests.ListCreateRequests
			actor := f.admin
			if tt.mine {
				list, actor = f.s.CreateRequests.MyCreateRequests, f.mia
			}
			page, err := list(f.ctx, actor, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := reqNames(page); got != tt.want || page.Total != tt.total {
				t.Errorf("got %s (total %d), want %s (total %d)", got, page.Total, tt.want, tt.total)
			}
			for _, r := range page.Items {
				if r.RequesterName == "" {
					t.Errorf("%s: no requester name", r.Name)
				}
			}
		})
	}
	t.Run("bad queries name the field", func(t *testing.T) {
		for field, q := range map[string]guildhall.RequestQuery{
			"status": {Status: "LOST"}, "limit": {Limit: 101}, "offset": {Offset: -1}} {
			_, err := f.s.CreateRequests.ListCreateRequests(f.ctx, f.admin, q)
			wantField(t, err, field)
		}
	})
}

func TestCreateRequestAudit(t *testing.T) {
	t.Parallel()
	f := newRequestFixture(t)
	f.setPolicy(guildhall.AdminsOnly)
	if _, err := f.s.Settings.SetCreationPolicy(f.ctx, f.admin, guildhall.MembersWithApproval); err != nil {
		t.Fatal(err)
	}
	hiking := f.request(f.mia, "Hiking Club", guildhall.Public)
	chess := f.request(f.mia, "Chess Club", guildhall.Public)
	books := f.request(f.otto, "Book Club", guildhall.Public)
	if res := one(t)(f.s.CreateRequests.ApproveCreateRequests(f.ctx, f.admin, []string{hiking.ID})); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := one(t)(f.s.CreateRequests.RejectCreateRequests(f.ctx, f.admin, []guildhall.Rejection{{ID: chess.ID, Reason: "Too many"}})); res.Err != nil {
		t.Fatal(res.Err)
	}
	if _, err := f.s.CreateRequests.CancelCreateRequest(f.ctx, f.otto, books.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Groups.CreateGroup(f.ctx, f.admin, guildhall.GroupInput{Name: "Admins"}, ""); err != nil {
		t.Fatal(err)
	}

	want := []string{
		`An elevated API token changed who can create groups from "Site members with admin approval" to "Only site admins"`,
		`Ada Admin changed who can create groups from "Only site admins" to "Site members with admin approval"`,
		"Mia Member asked to create Hiking Club",
		"Mia Member asked to create Chess Club",
		"Otto Other asked to create Book Club",
		"Ada Admin approved the creation of Hiking Club",
		"Ada Admin rejected the creation of Chess Club (reason: Too many)",
		"Otto Other canceled the request to create Book Club",
		"Ada Admin created Admins",
	}
	if got := f.auditSentences(); !slices.Equal(got, want) {
		t.Errorf("audit log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Keyset pages: past the newest entry, four older ones, and back.
	newest, err := f.s.Audit.ListAudit(f.ctx, f.admin, guildhall.AuditQuery{Limit: 1})
	if err != nil || len(newest.Items) != 1 || newest.Next == "" || newest.Prev != "" {
		t.Fatalf("first page: %+v, %v", newest, err)
	}
	page, err := f.s.Audit.ListAudit(f.ctx, f.admin, guildhall.AuditQuery{Cursor: newest.Next, Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 4 || templates.AuditSentence(page.Items[0]) != want[len(want)-2] || page.Prev == "" || page.Next == "" {
		t.Errorf("second page: %d items, first %q, prev %q, next %q", len(page.Items), templates.AuditSentence(page.Items[0]), page.Prev, page.Next)
	}
	back, err := f.s.Audit.ListAudit(f.ctx, f.admin, guildhall.AuditQuery{Cursor: page.Prev, Limit: 4})
	if err != nil || len(back.Items) != 1 || back.Items[0].ID != newest.Items[0].ID || back.Prev != "" {
		t.Errorf("back to the newest: %+v, %v", back, err)
	}
	if page.Items[0].ActorID == nil || *page.Items[0].ActorID != f.otto.ID {
		t.Errorf("actor of the cancel = %v, want Otto", page.Items[0].ActorID)
	}
}

// TestConcurrentDecisions: many admins deciding one request at once, some
// approving and some rejecting; the row lock lets exactly one win.
func TestConcurrentDecisions(t *testing.T) {
	t.Parallel()
	f := newRequestFixture(t)
	r := f.request(f.mia, "Hiking Club", guildhall.Public)
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			var res []guildhall.BulkResult[guildhall.CreateRequest]
			var err error
			if i%2 == 0 {
				res, err = f.s.CreateRequests.ApproveCreateRequests(f.ctx, f.admin, []string{r.ID})
			} else {
				res, err = f.s.CreateRequests.RejectCreateRequests(f.ctx, f.admin, []guildhall.Rejection{{ID: r.ID, Reason: "Busy"}})
			}
			if err == nil {
				err = res[0].Err
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()

	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, guildhall.ErrFailedPrecondition):
			t.Errorf("a losing decision got %v, want FailedPrecondition", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d decisions won, want exactly 1", wins)
	}
	got := f.requestByID(r.ID)
	groups := f.count(`SELECT count(*) FROM groups`)
	decisions := f.count(`SELECT count(*) FROM audit_log WHERE action IN ($1, $2)`,
		guildhall.ActionCreateRequestApproved, guildhall.ActionCreateRequestRejected)
	switch {
	case got.Status == guildhall.Approved && groups == 1 && decisions == 1:
	case got.Status == guildhall.Rejected && groups == 0 && decisions == 1:
	default:
		t.Errorf("status %s, %d groups, %d decisions logged", got.Status, groups, decisions)
	}

	// Approvals only: exactly one group exists afterwards.
	r2 := f.request(f.mia, "Chess Club", guildhall.Public)
	for i := range n {
		wg.Go(func() {
			res, err := f.s.CreateRequests.ApproveCreateRequests(f.ctx, f.admin, []string{r2.ID})
			if err == nil {
				err = res[0].Err
			}
			errs[i] = err
		})
	}
	wg.Wait()
	wins = 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else if !errors.Is(err, guildhall.ErrFailedPrecondition) {
			t.Errorf("a losing approval got %v", err)
		}
	}
	if n := f.count(`SELECT count(*) FROM groups WHERE name = 'Chess Club'`); wins != 1 || n != 1 {
		t.Errorf("%d approvals won, %d groups; want exactly one of each", wins, n)
	}
}
