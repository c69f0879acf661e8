package postgres

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"guildhall/internal/guildhall"
)

// outcome is what one actor gets from one action on one group.
type outcome int

const (
	allowed outcome = iota
	denied          // ErrForbidden: the actor sees the group but may not do this
	hidden          // ErrNotFound: to this actor the group does not exist
)

func (o outcome) String() string { return [...]string{"allowed", "denied (403)", "not found (404)"}[o] }

func (o outcome) kind() error {
	switch o {
	case denied:
		return guildhall.ErrForbidden
	case hidden:
		return guildhall.ErrNotFound
	}
	return nil
}

// TestGroupPermissions checks every cell of actor × privacy × action against
// the service: the same rules the pages and the API ask.
func TestGroupPermissions(t *testing.T) {
	t.Parallel()
	f := newGroupsFixture(t)
	actors := map[string]guildhall.Actor{
		"site admin":             f.account("Ada Admin", asSiteAdmin),
		"group admin":            f.account("Gus Groupadmin"),
		"group member":           f.account("Gil Groupmember"),
		"other member":           f.account("Otto Other"),
		"private-profile member": f.account("Pia Private", withPrivateProfile),
	}
	privacies := []guildhall.Privacy{guildhall.Public, guildhall.Private, guildhall.Secret}

	// newGroup makes a group of privacy p with the group admin as owner and
	// the group member as a member; the other two are site members only.
	n := 0
	newGroup := func(p guildhall.Privacy) *guildhall.Group {
		t.Helper()
		n++
		g := f.group(actors["group admin"], fmt.Sprintf("%s Group %d", p.Label(), n), p)
		f.addMember(g, actors["group member"], guildhall.RoleMember)
		return g
	}
	shared := map[guildhall.Privacy]*guildhall.Group{}
	for _, p := range privacies {
		shared[p] = newGroup(p)
	}

	actions := map[string]func(actor guildhall.Actor, p guildhall.Privacy) error{
		"get by id": func(actor guildhall.Actor, p guildhall.Privacy) error {
			g := shared[p]
			v, err := f.s.Groups.GroupByID(f.ctx, actor, g.ID)
			if err == nil && v.ID != g.ID {
				return fmt.Errorf("got group %s, want %s", v.ID, g.ID)
			}
			return err
		},
		"get by slug": func(actor guildhall.Actor, p guildhall.Privacy) error {
			g := shared[p]
			v, err := f.s.Groups.GroupBySlug(f.ctx, actor, g.Slug)
			if err == nil && v.ID != g.ID {
				return fmt.Errorf("got group %s, want %s", v.ID, g.ID)
			}
			return err
		},
		"appear in query": func(actor guildhall.Actor, p guildhall.Privacy) error {
			g := shared[p]
			q := guildhall.GroupQuery{Limit: 100, Conditions: []guildhall.Condition{
				{Field: guildhall.FieldName, Op: guildhall.OpEq, Value: g.Name}}}
			page, err := f.s.Groups.QueryGroups(f.ctx, actor, q)
			if err != nil {
				return err
			}
			in := slices.ContainsFunc(page.Items, func(v guildhall.GroupView) bool { return v.ID == g.ID })
			if in != (page.Total == 1) {
				return fmt.Errorf("listed %v but total %d", in, page.Total)
			}
			if !in {
				return guildhall.ErrNotFound
			}
			return nil
		},
		"update": func(actor guildhall.Actor, p guildhall.Privacy) error {
			_, err := f.s.Groups.UpdateGroup(f.ctx, actor, shared[p].ID,
				guildhall.GroupUpdate{Description: ptr("Changed by " + actor.DisplayName)})
			return err
		},
		"delete": func(actor guildhall.Actor, p guildhall.Privacy) error {
			_, err := f.s.Groups.DeleteGroup(f.ctx, actor, newGroup(p).ID)
			return err
		},
	}

	tests := []struct {
		actor, action           string
		public, private, secret outcome
	}{
		{"site admin", "get by id", allowed, allowed, allowed},
		{"site admin", "get by slug", allowed, allowed, allowed},
		{"site admin", "appear in query", allowed, allowed, allowed},
		{"site admin", "update", allowed, allowed, allowed},
		{"site admin", "delete", allowed, allowed, allowed},

		{"group admin", "get by id", allowed, allowed, allowed},
		{"group admin", "get by slug", allowed, allowed, allowed},
		{"group admin", "appear in query", allowed, allowed, allowed},
		{"group admin", "update", allowed, allowed, allowed},
		{"group admin", "delete", allowed, allowed, allowed},

		{"group member", "get by id", allowed, allowed, allowed},
		{"group member", "get by slug", allowed, allowed, allowed},
		{"group member", "appear in query", allowed, allowed, allowed},
		{"group member", "update", denied, denied, denied},
		{"group member", "delete", denied, denied, denied},

		{"other member", "get by id", allowed, allowed, hidden},
		{"other member", "get by slug", allowed, allowed, hidden},
		{"other member", "appear in query", allowed, allowed, hidden},
		{"other member", "update", denied, denied, hidden},
		{"other member", "delete", denied, denied, hidden},

		{"private-profile member", "get by id", allowed, allowed, hidden},
		{"private-profile member", "get by slug", allowed, allowed, hidden},
		{"private-profile member", "appear in query", allowed, allowed, hidden},
		{"private-profile member", "update", denied, denied, hidden},
		{"private-profile member", "delete", denied, denied, hidden},
	}
	for _, tt := range tests {
		for i, want := range []outcome{tt.public, tt.private, tt.secret} {
			p := privacies[i]
			t.Run(fmt.Sprintf("%s/%s/%s", tt.actor, tt.action, p), func(t *testing.T) {
				err := actions[tt.action](actors[tt.actor], p)
				if kind := want.kind(); kind == nil && err != nil || kind != nil && !errors.Is(err, kind) {
					t.Errorf("got %v, want %s", err, want)
				}
			})
		}
	}

	t.Run("a hidden group says exactly what an unknown one says", func(t *testing.T) {
		_, secretErr := f.s.Groups.GroupByID(f.ctx, actors["other member"], shared[guildhall.Secret].ID)
		_, unknownErr := f.s.Groups.GroupByID(f.ctx, actors["other member"], "7d8f6a3c-0b1e-4c2d-9e8f-1a2b3c4d5e6f")
		if guildhall.Message(secretErr) != guildhall.Message(unknownErr) {
			t.Errorf("secret: %q, unknown: %q", guildhall.Message(secretErr), guildhall.Message(unknownErr))
		}
	})
}

// TestCreateGroupPolicy checks each creation policy for a site admin and a
// site member: created at once, stored as a pending request, or refused.
func TestCreateGroupPolicy(t *testing.T) {
	t.Parallel()
	type result int
	const (
		direct result = iota
		pending
		forbidden
	)
	tests := []struct {
		policy               guildhall.CreationPolicy
		siteAdmin, member    result
		memberRefusalMessage string
	}{
		{guildhall.AdminsOnly, direct, forbidden, "Only site admins can create groups on this site."},
		{guildhall.AllMembers, direct, direct, ""},
		{guildhall.MembersWithApproval, direct, pending, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			f := newGroupsFixture(t)
			actors := []guildhall.Actor{f.account("Ada Admin", asSiteAdmin), f.account("Mia Member")}
			f.setPolicy(tt.policy)
			for i, want := range []result{tt.siteAdmin, tt.member} {
				actor := actors[i]
				name := "Club of " + actor.DisplayName
				c, err := f.s.Groups.CreateGroup(f.ctx, actor, guildhall.GroupInput{Name: name}, "")
				groups := f.count(`SELECT count(*) FROM groups WHERE name = $1`, name)
				requests := f.count(`SELECT count(*) FROM create_requests WHERE name = $1`, name)
				switch want {
				case direct:
					if err != nil || c.Group == nil || c.Request != nil || groups != 1 || requests != 0 {
						t.Errorf("%s: %+v, %v (groups %d, requests %d); want the group created at once",
							actor.DisplayName, c, err, groups, requests)
					}
				case pending:
					if err != nil || c.Request == nil || c.Group != nil || groups != 0 || requests != 1 ||
						c.Request.Status != guildhall.Pending || c.Request.RequesterName != actor.DisplayName {
						t.Errorf("%s: %+v, %v (groups %d, requests %d); want a pending request",
							actor.DisplayName, c, err, groups, requests)
					}
				case forbidden:
					if !errors.Is(err, guildhall.ErrForbidden) || guildhall.Message(err) != tt.memberRefusalMessage ||
						groups != 0 || requests != 0 {
						t.Errorf("%s: %v (groups %d, requests %d); want %q and nothing stored",
							actor.DisplayName, err, groups, requests, tt.memberRefusalMessage)
					}
				}
			}
		})
	}
}
