package postgres

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// epoch is a fixed time the tests count request times from.
var epoch = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func TestJoinPublicGroup(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	bob := f.person("Bob Builder")
	g := f.group("Hiking Club", guildhall.Public, guildhall.DefaultGroupSettings(), ada)
	f.exec(`UPDATE groups SET last_activity_at = $2 WHERE id = $1`, g.ID, epoch)

	res, err := f.ms.Join(f.ctx, bob, g.ID, nil)
	expectKind(t, err, nil)
	if res.Member == nil || res.Request != nil {
		t.Fatalf("result = %+v, want a member", res)
	}
	if m := res.Member; m.AccountID != bob.ID || m.Role != guildhall.RoleMember || m.DisplayName != "Bob Builder" {
		t.Errorf("member = %+v", m)
	}
	after := f.reload(g)
	if after.MembersCount != 2 || !after.LastActivityAt.After(epoch) {
		t.Errorf("members_count = %d, last activity %v; want 2 and now", after.MembersCount, after.LastActivityAt)
	}
	f.wantCountsRight(g)
	_, err = f.ms.Join(f.ctx, bob, g.ID, nil)
	expectKind(t, err, guildhall.ErrConflict)
	if got := f.sentences(guildhall.ActionMemberJoined); !slices.Equal(got, []string{"Bob Builder joined Hiking Club"}) {
		t.Errorf("audit = %q", got)
	}
}

func TestJoinQuestions(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	rita := f.person("Rita Requester")
	g := f.group("Book Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
	qs := f.questions(g,
		guildhall.QuestionInput{Text: "Which book did you read last?", Required: true},
		guildhall.QuestionInput{Text: "Anything else?"})
	required, optional := qs[0], qs[1]
	answer := func(q guildhall.Question, text string) guildhall.Answer {
		return guildhall.Answer{QuestionID: q.ID, Text: text}
	}

	invalid := []struct {
		name    string
		answers []guildhall.Answer
		field   string
	}{
		{"no answers at all", nil, "answers." + required.ID},
		{"required answer blank", []guildhall.Answer{answer(required, "   "), answer(optional, "hi")}, "answers[0]"},
		{"unknown question", []guildhall.Answer{answer(required, "Dune"), {QuestionID: "7d8f6a3c-0b1e-4c2d-9e8f-1a2b3c4d5e6f", Text: "?"}}, "answers[1]"},
		{"answer too long", []guildhall.Answer{answer(required, strings.Repeat("é", 1001))}, "answers[0]"},
		{"answered twice", []guildhall.Answer{answer(required, "Dune"), answer(required, "Emma")}, "answers[1]"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ms.Join(f.ctx, rita, g.ID, tt.answers)
			expectField(t, err, tt.field)
		})
	}
	if n := f.count(`SELECT count(*) FROM join_requests`); n != 0 {
		t.Fatalf("%d requests stored after invalid answers", n)
	}

	res, err := f.ms.Join(f.ctx, rita, g.ID, []guildhall.Answer{
		{QuestionID: optional.ID, Question: "a text the client made up", Text: "  "},
		{QuestionID: required.ID, Question: "a text the client made up", Text: strings.Repeat("é", 1000)},
	})
	expectKind(t, err, nil)
	if res.Request == nil || res.Member != nil || res.Request.Status != guildhall.Pending {
		t.Fatalf("result = %+v, want a pending request", res)
	}
	want := []guildhall.Answer{{QuestionID: required.ID, Question: "Which book did you read last?", Text: strings.Repeat("é", 1000)}}
	if !slices.Equal(res.Request.Answers, want) {
		t.Errorf("answers = %+v, want %+v", res.Request.Answers, want)
	}
	if f.role(g, rita) != guildhall.RoleNone || f.reload(g).MembersCount != 1 {
		t.Error("a request made its requester a member")
	}

	t.Run("answers are visible to deciders", func(t *testing.T) {
		page, err := f.ms.ListJoinRequests(f.ctx, ada, g.ID, guildhall.RequestQuery{Status: guildhall.Pending})
		expectKind(t, err, nil)
		if len(page.Items) != 1 || !slices.Equal(page.Items[0].Answers, want) || page.Items[0].DisplayName != "Rita Requester" {
			t.Fatalf("requests = %+v", page.Items)
		}
		// The requester lists only their own.
		own, err := f.ms.ListJoinRequests(f.ctx, rita, g.ID, guildhall.RequestQuery{})
		expectKind(t, err, nil)
		if len(own.Items) != 1 || own.Items[0].AccountID != rita.ID {
			t.Fatalf("rita's own requests = %+v", own.Items)
		}
	})
	t.Run("a second request is a conflict", func(t *testing.T) {
		_, err := f.ms.Join(f.ctx, rita, g.ID, []guildhall.Answer{answer(required, "Emma")})
		expectKind(t, err, guildhall.ErrConflict)
	})
	t.Run("the database refuses a second pending request too", func(t *testing.T) {
		err := f.db.inTx(f.ctx, func(tx *sqlx.Tx) error {
			_, err := insertJoinRequest(f.ctx, tx, rita, g, []guildhall.Answer{answer(required, "Emma")})
			return err
		})
		expectKind(t, err, guildhall.ErrConflict)
	})
	t.Run("questions are not asked by a public group", func(t *testing.T) {
		pub := f.group("Open Club", guildhall.Public, guildhall.DefaultGroupSettings(), ada)
		f.questions(pub, guildhall.QuestionInput{Text: "Why?", Required: true})
		res, err := f.ms.Join(f.ctx, rita, pub.ID, nil)
		expectKind(t, err, nil)
		if res.Member == nil {
			t.Fatalf("result = %+v, want a member", res)
		}
	})
}

func TestRejectReasonSeenByRequester(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	rita := f.person("Rita Requester")
	g := f.group("Book Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
	f.pending(g, rita, epoch)

	_, err := f.ms.RejectJoinRequests(f.ctx, ada, g.ID, []guildhall.MemberRejection{{AccountID: rita.ID, Reason: strings.Repeat("x", 1001)}})
	expectField(t, err, "rejections[0].reason")
	if got := f.statuses(g, rita); !slices.Equal(got, []guildhall.Status{guildhall.Pending}) {
		t.Fatalf("statuses after an invalid reason = %v", got)
	}

	results, err := f.ms.RejectJoinRequests(f.ctx, ada, g.ID, []guildhall.MemberRejection{{AccountID: rita.ID, Reason: "  We are full this season.  "}})
	expectKind(t, err, nil)
	expectKind(t, results[0].Err, nil)
	mine, err := f.ms.MyJoinRequests(f.ctx, rita, guildhall.RequestQuery{})
	expectKind(t, err, nil)
	if mine.Total != 1 || len(mine.Items) != 1 {
		t.Fatalf("my requests = %+v", mine)
	}
	r := mine.Items[0]
	if r.Status != guildhall.Rejected || r.RejectionReason != "We are full this season." || r.GroupName != "Book Club" || r.GroupSlug != g.Slug {
		t.Errorf("my request = %+v", r)
	}
	if r.DecidedBy == nil || *r.DecidedBy != ada.ID || r.DecidedAt == nil {
		t.Errorf("decided by %v at %v, want Ada", r.DecidedBy, r.DecidedAt)
	}
	if f.role(g, rita) != guildhall.RoleNone {
		t.Error("a rejected requester is a member")
	}
	want := []string{"Ada Admin rejected Rita Requester's request to join Book Club (reason: We are full this season.)"}
	if got := f.sentences(guildhall.ActionJoinRequestRejected); !slices.Equal(got, want) {
		t.Errorf("audit = %q, want %q", got, want)
	}
}

func TestCancelJoinRequest(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	rita := f.person("Rita Requester")
	otto := f.person("Otto Other")
	g := f.group("Book Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
	_, err := f.ms.Join(f.ctx, rita, g.ID, nil)
	expectKind(t, err, nil)

	_, err = f.ms.CancelJoinRequest(f.ctx, otto, g.ID)
	expectKind(t, err, guildhall.ErrNotFound) // only one's own request
	r, err := f.ms.CancelJoinRequest(f.ctx, rita, g.ID)
	expectKind(t, err, nil)
	if r.Status != guildhall.Canceled || r.AccountID != rita.ID {
		t.Errorf("canceled = %+v", r)
	}
	// Canceling again is too late for a request no longer pending (409).
	_, err = f.ms.CancelJoinRequest(f.ctx, rita, g.ID)
	expectKind(t, err, guildhall.ErrFailedPrecondition)
	if got := guildhall.Message(err); got != "Your request to join Book Club was already canceled." {
		t.Errorf("message = %q", got)
	}

	results, err := f.ms.ApproveJoinRequests(f.ctx, ada, g.ID, []string{rita.ID})
	expectKind(t, err, nil)
	expectKind(t, results[0].Err, guildhall.ErrFailedPrecondition)
	if got := guildhall.Message(results[0].Err); got != "This request was already canceled." {
		t.Errorf("message = %q", got)
	}
	if f.role(g, rita) != guildhall.RoleNone {
		t.Error("approving a canceled request made a member")
	}

	// Asking again after canceling is a new request.
	_, err = f.ms.Join(f.ctx, rita, g.ID, nil)
	expectKind(t, err, nil)
	if got := f.statuses(g, rita); !slices.Equal(got, []guildhall.Status{guildhall.Canceled, guildhall.Pending}) {
		t.Errorf("statuses = %v", got)
	}
	want := []string{"Rita Requester asked to join Book Club", "Rita Requester canceled their request to join Book Club",
		"Rita Requester asked to join Book Club"}
	if got := f.sentences(guildhall.ActionJoinRequestSubmitted, guildhall.ActionJoinRequestCanceled); !slices.Equal(got, want) {
		t.Errorf("audit = %q, want %q", got, want)
	}
}

func TestDecidingJoinRequestTwice(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	bea := f.person("Bea Admin")
	g := f.group("Book Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada, bea)
	approveMe := f.person("Rita Requester")
	rejectMe := f.person("Ron Requester")
	f.pending(g, approveMe, epoch)
	f.pending(g, rejectMe, epoch.Add(time.Second))

	approve := func(who guildhall.Actor, id string) error {
		res, err := f.ms.ApproveJoinRequests(f.ctx, who, g.ID, []string{id})
		expectKind(t, err, nil)
		return res[0].Err
	}
	reject := func(who guildhall.Actor, id string) error {
		res, err := f.ms.RejectJoinRequests(f.ctx, who, g.ID, []guildhall.MemberRejection{{AccountID: id, Reason: "No."}})
		expectKind(t, err, nil)
		return res[0].Err
	}
	expectKind(t, approve(ada, approveMe.ID), nil)
	expectKind(t, reject(ada, rejectMe.ID), nil)
	audit := f.count(`SELECT count(*) FROM audit_log`)
	members := f.reload(g).MembersCount

	tests := []struct {
		name string
		err  error
		want string
	}{
		{"approve an approved request", approve(bea, approveMe.ID), "This request was already approved."},
		{"reject an approved request", reject(bea, approveMe.ID), "This request was already approved."},
		{"approve a rejected request", approve(bea, rejectMe.ID), "This request was already rejected."},
		{"reject a rejected request", reject(bea, rejectMe.ID), "This request was already rejected."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectKind(t, tt.err, guildhall.ErrFailedPrecondition)
			if got := guildhall.Message(tt.err); got != tt.want {
				t.Errorf("message = %q, want %q", got, tt.want)
			}
		})
	}
	if n := f.count(`SELECT count(*) FROM audit_log`); n != audit {
		t.Errorf("audit rows went from %d to %d", audit, n)
	}
	if n := f.reload(g).MembersCount; n != members || n != 3 {
		t.Errorf("members_count went from %d to %d, want 3", members, n)
	}
	if f.role(g, rejectMe) != guildhall.RoleNone || f.role(g, approveMe) != guildhall.RoleMember {
		t.Error("a second decision changed who is a member")
	}
	var decidedBy string
	if err := f.db.GetContext(f.ctx, &decidedBy, `SELECT decided_by FROM join_requests WHERE account_id = $1`, approveMe.ID); err != nil || decidedBy != ada.ID {
		t.Errorf("decided_by = %q (%v), want Ada's", decidedBy, err)
	}
}

func TestBulkDecisionsReportEachItem(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	g := f.group("Book Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
	other := f.group("Chess Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
	first, second, decided, elsewhere := f.person("First Requester"), f.person("Second Requester"), f.person("Done Already"), f.person("Elsewhere Requester")
	f.pending(g, first, epoch)
	f.pending(g, second, epoch.Add(time.Second))
	f.pending(g, decided, epoch.Add(2*time.Second))
	f.pending(other, elsewhere, epoch.Add(3*time.Second))
	_, err := f.ms.RejectJoinRequests(f.ctx, ada, g.ID, []guildhall.MemberRejection{{AccountID: decided.ID}})
	expectKind(t, err, nil)

	ids := []string{first.ID, decided.ID, "7d8f6a3c-0b1e-4c2d-9e8f-1a2b3c4d5e6f", "not-an-id", elsewhere.ID, second.ID}
	results, err := f.ms.ApproveJoinRequests(f.ctx, ada, g.ID, ids)
	expectKind(t, err, nil)
	wantKinds := []error{nil, guildhall.ErrFailedPrecondition, guildhall.ErrNotFound, guildhall.ErrNotFound, guildhall.ErrNotFound, nil}
	if len(results) != len(ids) {
		t.Fatalf("%d results for %d ids", len(results), len(ids))
	}
	for i, res := range results {
		t.Run(fmt.Sprintf("item %d", i), func(t *testing.T) {
			if res.ID != ids[i] {
				t.Errorf("result id %q, want %q", res.ID, ids[i])
			}
			expectKind(t, res.Err, wantKinds[i])
			if wantKinds[i] == nil && (res.Item == nil || res.Item.Status != guildhall.Approved) {
				t.Errorf("item = %+v, want approved", res.Item)
			}
		})
	}
	for _, a := range []guildhall.Actor{first, second} {
		if f.role(g, a) != guildhall.RoleMember {
			t.Errorf("%s is not a member", a.DisplayName)
		}
	}
	if f.role(g, decided) != guildhall.RoleNone || f.role(other, elsewhere) != guildhall.RoleNone {
		t.Error("a failed item changed membership")
	}
	if got := f.statuses(other, elsewhere); !slices.Equal(got, []guildhall.Status{guildhall.Pending}) {
		t.Errorf("request to another group = %v, want still pending", got)
	}
	f.wantCountsRight(g)

	t.Run("at most 100 at once", func(t *testing.T) {
		many := make([]string, guildhall.MaxBulk+1)
		for i := range many {
			many[i] = first.ID
		}
		_, err := f.ms.ApproveJoinRequests(f.ctx, ada, g.ID, many)
		expectField(t, err, "memberIds")
		_, err = f.ms.RejectJoinRequests(f.ctx, ada, g.ID, make([]guildhall.MemberRejection, guildhall.MaxBulk+1))
		expectField(t, err, "rejections")
		_, err = f.ms.AddMembers(f.ctx, ada, g.ID, many)
		expectField(t, err, "memberIds")
		_, err = f.ms.SetRole(f.ctx, ada, g.ID, many, guildhall.RoleAdmin)
		expectField(t, err, "memberIds")
	})
}

func TestLastAdminStays(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	bob := f.person("Bob Member")
	site := f.person("Sam Siteadmin", siteAdminAccount)
	g := f.group("Hiking Club", guildhall.Public, guildhall.DefaultGroupSettings(), ada)
	f.member(g, bob, guildhall.RoleMember)

	setRole := func(actor guildhall.Actor, who guildhall.Actor, role guildhall.Role) error {
		res, err := f.ms.SetRole(f.ctx, actor, g.ID, []string{who.ID}, role)
		expectKind(t, err, nil)
		return res[0].Err
	}
	refusals := []struct {
		name string
		err  func() error
		want string
	}{
		{"leave", func() error { return f.ms.Leave(f.ctx, ada, g.ID) },
			"You are the last admin of Hiking Club: make another member an admin first."},
		{"remove oneself", func() error { return f.ms.RemoveMember(f.ctx, ada, g.ID, ada.ID) },
			"You are the last admin of Hiking Club: make another member an admin first."},
		{"removed by a site admin", func() error { return f.ms.RemoveMember(f.ctx, site, g.ID, ada.ID) },
			"Ada Admin is the last admin of Hiking Club: make another member an admin first."},
		{"demote oneself", func() error { return setRole(ada, ada, guildhall.RoleMember) },
			"Ada Admin is the last admin of Hiking Club: make another member an admin first."},
		{"demoted by a site admin", func() error { return setRole(site, ada, guildhall.RoleMember) },
			"Ada Admin is the last admin of Hiking Club: make another member an admin first."},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			expectKind(t, err, guildhall.ErrFailedPrecondition)
			if got := guildhall.Message(err); got != tt.want {
				t.Errorf("message = %q, want %q", got, tt.want)
			}
			if f.role(g, ada) != guildhall.RoleAdmin {
				t.Fatal("the last admin is gone")
			}
		})
	}

	// With a second admin the first may go; then the second is the last.
	expectKind(t, setRole(ada, bob, guildhall.RoleAdmin), nil)
	expectKind(t, setRole(ada, bob, guildhall.RoleAdmin), nil) // already an admin: nothing to do
	expectKind(t, f.ms.Leave(f.ctx, ada, g.ID), nil)
	expectKind(t, setRole(bob, bob, guildhall.RoleMember), guildhall.ErrFailedPrecondition)
	expectKind(t, f.ms.RemoveMember(f.ctx, site, g.ID, bob.ID), guildhall.ErrFailedPrecondition)
	if f.role(g, bob) != guildhall.RoleAdmin || f.role(g, ada) != guildhall.RoleNone {
		t.Errorf("roles: Ada %q, Bob %q", f.role(g, ada), f.role(g, bob))
	}
	f.wantCountsRight(g)
	want := []string{"Ada Admin made Bob Member an admin of Hiking Club", "Ada Admin left Hiking Club"}
	if got := f.sentences(guildhall.ActionMemberRoleChanged, guildhall.ActionMemberLeft); !slices.Equal(got, want) {
		t.Errorf("audit = %q, want %q", got, want)
	}
}

func TestMembersAddRemoveAndRoles(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	rita := f.person("Rita Requester")
	nia := f.person("Nia Newcomer")
	g := f.group("Book Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
	f.pending(g, rita, epoch)

	results, err := f.ms.AddMembers(f.ctx, ada, g.ID, []string{rita.ID, nia.ID, ada.ID, "7d8f6a3c-0b1e-4c2d-9e8f-1a2b3c4d5e6f"})
	expectKind(t, err, nil)
	for i, want := range []error{nil, nil, guildhall.ErrConflict, guildhall.ErrNotFound} {
		expectKind(t, results[i].Err, want)
	}
	if results[0].Item == nil || results[0].Item.DisplayName != "Rita Requester" || results[0].Item.Role != guildhall.RoleMember {
		t.Errorf("added = %+v", results[0].Item)
	}
	if got := f.statuses(g, rita); !slices.Equal(got, []guildhall.Status{guildhall.Approved}) {
		t.Errorf("Rita's request = %v, want approved in passing", got)
	}
	if n := f.reload(g).MembersCount; n != 3 {
		t.Errorf("members_count = %d, want 3", n)
	}

	roles, err := f.ms.SetRole(f.ctx, ada, g.ID, []string{nia.ID, "7d8f6a3c-0b1e-4c2d-9e8f-1a2b3c4d5e6f"}, guildhall.RoleAdmin)
	expectKind(t, err, nil)
	expectKind(t, roles[0].Err, nil)
	expectKind(t, roles[1].Err, guildhall.ErrNotFound)
	_, err = f.ms.SetRole(f.ctx, ada, g.ID, []string{nia.ID}, "OWNER")
	expectField(t, err, "role")

	expectKind(t, f.ms.RemoveMember(f.ctx, nia, g.ID, rita.ID), nil)
	expectKind(t, f.ms.RemoveMember(f.ctx, nia, g.ID, rita.ID), guildhall.ErrNotFound)
	if f.role(g, rita) != guildhall.RoleNone {
		t.Error("Rita is still a member")
	}
	f.wantCountsRight(g)

	want := []string{
		"Ada Admin approved Rita Requester's request to join Book Club (added as a member)",
		"Ada Admin added Rita Requester to Book Club",
		"Ada Admin added Nia Newcomer to Book Club",
		"Ada Admin made Nia Newcomer an admin of Book Club",
		"Nia Newcomer removed Rita Requester from Book Club",
	}
	got := f.sentences(guildhall.ActionJoinRequestApproved, guildhall.ActionMemberAdded,
		guildhall.ActionMemberRoleChanged, guildhall.ActionMemberRemoved)
	if !slices.Equal(got, want) {
		t.Errorf("audit =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestListMembersOrderAndPaging(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	zoe := f.person("Zoe Admin")
	amy := f.person("amy Admin")
	g := f.group("Choir", guildhall.Public, guildhall.DefaultGroupSettings(), zoe, amy)
	for _, name := range []string{"Carl", "bea", "Abe", "Dora"} {
		f.member(g, f.person(name), guildhall.RoleMember)
	}
	var got []string
	for offset := 0; ; offset += 4 {
		page, err := f.ms.ListMembers(f.ctx, zoe, g.ID, 4, offset)
		expectKind(t, err, nil)
		if page.Total != 6 || page.Limit != 4 || page.Offset != offset {
			t.Fatalf("page = total %d limit %d offset %d", page.Total, page.Limit, page.Offset)
		}
		if len(page.Items) == 0 {
			break
		}
		for _, m := range page.Items {
			got = append(got, m.DisplayName)
		}
	}
	want := []string{"amy Admin", "Zoe Admin", "Abe", "bea", "Carl", "Dora"}
	if !slices.Equal(got, want) {
		t.Errorf("members = %q, want %q", got, want)
	}
	_, err := f.ms.ListMembers(f.ctx, zoe, g.ID, 101, 0)
	expectField(t, err, "limit")
}

func TestListJoinRequestsFilterAndOrder(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	g := f.group("Book Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
	var requesters []guildhall.Actor
	for i := range 5 {
		a := f.person(fmt.Sprintf("Requester %d", i))
		requesters = append(requesters, a)
		f.pending(g, a, epoch.Add(time.Duration(i)*time.Minute))
	}
	_, err := f.ms.RejectJoinRequests(f.ctx, ada, g.ID, []guildhall.MemberRejection{{AccountID: requesters[1].ID}, {AccountID: requesters[3].ID}})
	expectKind(t, err, nil)

	list := func(q guildhall.RequestQuery) ([]string, int) {
		t.Helper()
		page, err := f.ms.ListJoinRequests(f.ctx, ada, g.ID, q)
		expectKind(t, err, nil)
		var names []string
		for _, r := range page.Items {
			names = append(names, r.DisplayName)
		}
		return names, page.Total
	}
	tests := []struct {
		name  string
		q     guildhall.RequestQuery
		want  []string
		total int
	}{
		{"all, newest first", guildhall.RequestQuery{}, []string{"Requester 4", "Requester 3", "Requester 2", "Requester 1", "Requester 0"}, 5},
		{"pending", guildhall.RequestQuery{Status: guildhall.Pending}, []string{"Requester 4", "Requester 2", "Requester 0"}, 3},
		{"rejected", guildhall.RequestQuery{Status: guildhall.Rejected}, []string{"Requester 3", "Requester 1"}, 2},
		{"second page", guildhall.RequestQuery{Limit: 2, Offset: 2}, []string{"Requester 2", "Requester 1"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total := list(tt.q)
			if !slices.Equal(got, tt.want) || total != tt.total {
				t.Errorf("got %q (total %d), want %q (total %d)", got, total, tt.want, tt.total)
			}
		})
	}
	_, err = f.ms.ListJoinRequests(f.ctx, ada, g.ID, guildhall.RequestQuery{Status: "MAYBE"})
	expectField(t, err, "status")
}

func TestInbox(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	bea := f.person("Bea Admin")
	site := f.person("Sam Siteadmin", siteAdminAccount)
	mine := f.group("Ada's Private", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
	mySecret := f.group("Ada's Secret", guildhall.Secret, guildhall.DefaultGroupSettings(), ada)
	approving := f.group("Bea's Approving", guildhall.Private, guildhall.GroupSettings{MembersCanApprove: true}, bea)
	notApproving := f.group("Bea's Strict", guildhall.Private, guildhall.DefaultGroupSettings(), bea)
	deleted := f.group("Ada's Deleted", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
	f.member(approving, ada, guildhall.RoleMember)
	f.member(notApproving, ada, guildhall.RoleMember)

	at := func(minutes int) time.Time { return epoch.Add(time.Duration(minutes) * time.Minute) }
	f.pending(approving, f.person("P1"), at(1))
	f.pending(mine, f.person("P2"), at(2))
	f.pending(notApproving, f.person("P3"), at(3))
	f.pending(mySecret, f.person("P4"), at(4))
	f.pending(deleted, f.person("P5"), at(5))
	f.pending(mine, f.person("P6"), at(6))
	decided := f.person("P0")
	f.pending(mine, decided, at(0))
	_, err := f.ms.RejectJoinRequests(f.ctx, ada, mine.ID, []guildhall.MemberRejection{{AccountID: decided.ID}})
	expectKind(t, err, nil)
	f.exec(`UPDATE groups SET deleted_at = now() WHERE id = $1`, deleted.ID)

	inbox := func(actor guildhall.Actor, limit, offset int) ([]string, int) {
		t.Helper()
		page, err := f.ms.Inbox(f.ctx, actor, limit, offset)
		expectKind(t, err, nil)
		var out []string
		for _, r := range page.Items {
			out = append(out, r.DisplayName+"@"+r.GroupName)
		}
		n, err := f.ms.InboxCount(f.ctx, actor)
		expectKind(t, err, nil)
		if n != page.Total {
			t.Errorf("InboxCount = %d, Inbox total = %d", n, page.Total)
		}
		return out, page.Total
	}
	tests := []struct {
		name          string
		actor         guildhall.Actor
		limit, offset int
		want          []string
		total         int
	}{
		{"group admin and approving member, oldest first", ada, 0, 0,
			[]string{"P1@Bea's Approving", "P2@Ada's Private", "P4@Ada's Secret", "P6@Ada's Private"}, 4},
		{"a page of it", ada, 2, 1, []string{"P2@Ada's Private", "P4@Ada's Secret"}, 4},
		{"admin of two groups", bea, 0, 0, []string{"P1@Bea's Approving", "P3@Bea's Strict"}, 2},
		{"site admin sees every live group", site, 0, 0,
			[]string{"P1@Bea's Approving", "P2@Ada's Private", "P3@Bea's Strict", "P4@Ada's Secret", "P6@Ada's Private"}, 5},
		{"nobody's decider", f.person("Otto Other"), 0, 0, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total := inbox(tt.actor, tt.limit, tt.offset)
			if !slices.Equal(got, tt.want) || total != tt.total {
				t.Errorf("inbox = %q (total %d), want %q (total %d)", got, total, tt.want, tt.total)
			}
		})
	}
}

// A privacy change confirmed for n pending requests is refused whole when
// it would decide another number; confirmed for the right number it goes.
func TestPrivacyChangeExpectDecided(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	g := f.group("Book Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
	for _, name := range []string{"Rita Requester", "Sam Second", "Tia Third"} {
		f.pending(g, f.person(name), time.Now())
	}
	public := guildhall.Public
	for _, expect := range []int{2, 0, 4} {
		_, err := f.s.Groups.UpdateGroup(f.ctx, ada, g.ID, guildhall.GroupUpdate{Privacy: &public, ExpectDecided: &expect})
		expectKind(t, err, guildhall.ErrFailedPrecondition)
		if g := f.reload(g); g.Privacy != guildhall.Private || g.MembersCount != 1 {
			t.Fatalf("refused change (expected %d) left privacy %s, %d members", expect, g.Privacy, g.MembersCount)
		}
		if n := f.count(`SELECT count(*) FROM join_requests WHERE group_id = $1 AND status = 'PENDING'`, g.ID); n != 3 {
			t.Fatalf("refused change (expected %d) left %d pending", expect, n)
		}
	}
	three := 3
	updated, err := f.s.Groups.UpdateGroup(f.ctx, ada, g.ID, guildhall.GroupUpdate{Privacy: &public, ExpectDecided: &three})
	expectKind(t, err, nil)
	if updated.Privacy != guildhall.Public || updated.MembersCount != 4 {
		t.Fatalf("confirmed change: privacy %s, %d members", updated.Privacy, updated.MembersCount)
	}
}

func TestPrivacyChangeEffects(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	tests := []struct {
		from, to        guildhall.Privacy
		want            guildhall.Status
		approved, added int
		sentence        string
	}{
		{guildhall.Private, guildhall.Public, guildhall.Approved, 3, 3,
			"Ada Admin approved Requester 0's request to join %s (privacy changed to Public)"},
		{guildhall.Private, guildhall.Secret, guildhall.Rejected, 0, 0,
			"Ada Admin rejected Requester 0's request to join %s (privacy changed to Secret)"},
		{guildhall.Public, guildhall.Private, guildhall.Pending, 0, 0, ""},
		{guildhall.Secret, guildhall.Private, guildhall.Pending, 0, 0, ""},
		{guildhall.Public, guildhall.Secret, guildhall.Pending, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s to %s", tt.from, tt.to), func(t *testing.T) {
			g := f.group(fmt.Sprintf("Club %d", f.next()), tt.from, guildhall.DefaultGroupSettings(), ada)
			var requesters []guildhall.Actor
			for i := range 3 {
				a := f.person(fmt.Sprintf("Requester %d", i))
				requesters = append(requesters, a)
				f.pending(g, a, epoch.Add(time.Duration(i)*time.Minute))
			}
			// A request decided before the change stays as it was.
			old := f.person("Old Requester")
			f.pending(g, old, epoch)
			f.exec(`UPDATE join_requests SET status = 'REJECTED' WHERE account_id = $1`, old.ID)

			preview, err := f.ms.PreviewPrivacyChange(f.ctx, ada, g.ID, tt.to)
			expectKind(t, err, nil)
			if want := guildhall.EffectOfPrivacyChange(tt.from, tt.to, 3); *preview != want {
				t.Errorf("preview = %+v, want %+v", *preview, want)
			}

			updated, err := f.s.Groups.UpdateGroup(f.ctx, ada, g.ID, guildhall.GroupUpdate{Privacy: &tt.to})
			expectKind(t, err, nil)
			for _, a := range requesters {
				if got := f.statuses(g, a); !slices.Equal(got, []guildhall.Status{tt.want}) {
					t.Errorf("%s: %v, want %s", a.DisplayName, got, tt.want)
				}
				if isMember := f.role(g, a) == guildhall.RoleMember; isMember != (tt.added > 0) {
					t.Errorf("%s member: %v", a.DisplayName, isMember)
				}
			}
			if got := f.statuses(g, old); !slices.Equal(got, []guildhall.Status{guildhall.Rejected}) || f.role(g, old) != guildhall.RoleNone {
				t.Errorf("an old decided request changed: %v", got)
			}
			if updated.MembersCount != 1+tt.added {
				t.Errorf("UpdateGroup returned members_count %d, want %d", updated.MembersCount, 1+tt.added)
			}
			f.wantCountsRight(g)
			f.workFanOuts()
			sentences := f.sentences(guildhall.ActionJoinRequestApproved, guildhall.ActionJoinRequestRejected)
			var mine []string
			for _, s := range sentences {
				if strings.HasSuffix(s, " "+g.Name+" (privacy changed to "+tt.to.Label()+")") {
					mine = append(mine, s)
				}
			}
			if tt.sentence == "" {
				if len(mine) != 0 {
					t.Errorf("audit = %q, want nothing", mine)
				}
				return
			}
			if len(mine) != 3 || !slices.Contains(mine, fmt.Sprintf(tt.sentence, g.Name)) {
				t.Errorf("audit = %q, want 3 with %q", mine, fmt.Sprintf(tt.sentence, g.Name))
			}
		})
	}

	t.Run("a request to a group turned secret keeps its row, under the name its requester knew", func(t *testing.T) {
		g := f.group("Hidden Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
		rita := f.person("Rita Requester")
		_, err := f.ms.Join(f.ctx, rita, g.ID, nil)
		expectKind(t, err, nil)
		// Renamed in the same change, and again once secret: neither name
		// was ever Rita's to see.
		secret, renamed, again := guildhall.Secret, "Inner Circle", "Innermost Circle"
		_, err = f.s.Groups.UpdateGroup(f.ctx, ada, g.ID, guildhall.GroupUpdate{Privacy: &secret, Name: &renamed})
		expectKind(t, err, nil)
		_, err = f.s.Groups.UpdateGroup(f.ctx, ada, g.ID, guildhall.GroupUpdate{Name: &again})
		expectKind(t, err, nil)
		mine, err := f.ms.MyJoinRequests(f.ctx, rita, guildhall.RequestQuery{})
		expectKind(t, err, nil)
		if mine.Total != 1 || len(mine.Items) != 1 {
			t.Fatalf("my requests = %+v, want the one request", mine.Items)
		}
		r := mine.Items[0]
		if r.Status != guildhall.Rejected || r.RejectionReason != "The group is now secret and takes no requests." ||
			r.GroupName != "Hidden Club" || r.GroupSlug != "" {
			t.Errorf("request = %s %q under %q, slug %q; want Rejected, why, under Hidden Club, no slug",
				r.Status, r.RejectionReason, r.GroupName, r.GroupSlug)
		}
		// Its admin still sees the group as it is now.
		mine, err = f.ms.MyJoinRequests(f.ctx, ada, guildhall.RequestQuery{})
		expectKind(t, err, nil)
		if mine.Total != 0 {
			t.Errorf("the admin has requests %+v", mine.Items)
		}
	})

	t.Run("deleting a group rejects its pending requests, saying why", func(t *testing.T) {
		g := f.group("Doomed Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
		rita := f.person("Rita Requester")
		f.pending(g, rita, epoch)
		_, err := f.s.Groups.DeleteGroup(f.ctx, ada, g.ID)
		expectKind(t, err, nil)
		if got := f.statuses(g, rita); !slices.Equal(got, []guildhall.Status{guildhall.Rejected}) {
			t.Errorf("statuses = %v, want rejected", got)
		}
		var cause string
		err = f.db.GetContext(f.ctx, &cause, `
			SELECT after->>'cause' FROM audit_log WHERE action = $1 AND target_name = 'Doomed Club'`, guildhall.ActionJoinRequestRejected)
		if err != nil || cause != "group deleted" {
			t.Errorf("audit cause = %q (%v)", cause, err)
		}
		mine, err := f.ms.MyJoinRequests(f.ctx, rita, guildhall.RequestQuery{})
		expectKind(t, err, nil)
		if len(mine.Items) != 1 || mine.Items[0].RejectionReason != "The group was deleted." ||
			mine.Items[0].GroupName != "Doomed Club" || mine.Items[0].GroupSlug != "" {
			t.Errorf("my requests = %+v, want Doomed Club rejected because it was deleted, no slug", mine.Items)
		}
	})
}

func TestPreviewPrivacyChangePermissions(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	gil := f.person("Gil Member")
	g := f.group("Book Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
	f.member(g, gil, guildhall.RoleMember)
	_, err := f.ms.PreviewPrivacyChange(f.ctx, gil, g.ID, guildhall.Public)
	expectKind(t, err, guildhall.ErrForbidden)
	_, err = f.ms.PreviewPrivacyChange(f.ctx, ada, g.ID, "OPEN")
	expectField(t, err, "privacy")
	p, err := f.ms.PreviewPrivacyChange(f.ctx, ada, g.ID, guildhall.Public)
	expectKind(t, err, nil)
	if p.Pending != 0 || p.Approvals != 0 || p.From != guildhall.Private {
		t.Errorf("preview = %+v", p)
	}
}

func TestSetQuestions(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	gil := f.person("Gil Member")
	otto := f.person("Otto Other")
	g := f.group("Book Club", guildhall.Private, guildhall.DefaultGroupSettings(), ada)
	f.member(g, gil, guildhall.RoleMember)

	invalid := []struct {
		name  string
		in    []guildhall.QuestionInput
		field string
	}{
		{"six questions", slices.Repeat([]guildhall.QuestionInput{{Text: "Why?"}}, 6), "questions"},
		{"blank", []guildhall.QuestionInput{{Text: "   "}}, "questions[0].text"},
		{"too long", []guildhall.QuestionInput{{Text: "Why?"}, {Text: strings.Repeat("q", 201)}}, "questions[1].text"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ms.SetQuestions(f.ctx, ada, g.ID, tt.in)
			expectField(t, err, tt.field)
		})
	}
	_, err := f.ms.SetQuestions(f.ctx, gil, g.ID, []guildhall.QuestionInput{{Text: "Why?"}})
	expectKind(t, err, guildhall.ErrForbidden)

	qs, err := f.ms.SetQuestions(f.ctx, ada, g.ID, []guildhall.QuestionInput{
		{Text: "  Why?  ", Required: true}, {Text: strings.Repeat("q", 200)}})
	expectKind(t, err, nil)
	if len(qs) != 2 || qs[0].Text != "Why?" || !qs[0].Required || qs[1].Position != 2 || qs[1].Required {
		t.Fatalf("questions = %+v", qs)
	}
	qs, err = f.ms.SetQuestions(f.ctx, ada, g.ID, []guildhall.QuestionInput{{Text: "Favourite author?"}})
	expectKind(t, err, nil)
	seen, err := f.ms.Questions(f.ctx, otto, g.ID)
	expectKind(t, err, nil)
	if len(seen) != 1 || seen[0].Text != "Favourite author?" || seen[0].ID != qs[0].ID || seen[0].Position != 1 {
		t.Errorf("questions = %+v, want the new set only", seen)
	}
	want := []string{"Ada Admin changed the membership questions of Book Club", "Ada Admin changed the membership questions of Book Club"}
	if got := f.sentences(guildhall.ActionQuestionsChanged); !slices.Equal(got, want) {
		t.Errorf("audit = %q", got)
	}
}
