package postgres

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"guildhall/internal/guildhall"
)

// joiningOutcomes maps the outcome codes of the permission table to the
// error kind the service returns.
var joiningOutcomes = map[string]error{
	"ok":  nil,
	"401": guildhall.ErrUnauthenticated,
	"403": guildhall.ErrForbidden,
	"404": guildhall.ErrNotFound,
	"409": guildhall.ErrConflict,
	"412": guildhall.ErrFailedPrecondition,
	// "own": allowed, but the list holds only the actor's own requests
	// (none here), not the group's.
	"own": errOwnOnly,
}

var errOwnOnly = errors.New("listed only the actor's own requests")

// TestJoiningPermissions checks every joining action for every kind of
// actor in public, private and secret groups, with the group's switches
// (membersCanApprove, membersCanInvite, showMemberList) all off and all on.
//
// Each cell runs on a group of its own: admins Gus and Cora, members Gil
// and Tess, and a pending request by Rita. Nia is a site member nobody
// added yet. Actors who are not members also have a pending request of
// their own when the action is "cancel".
func TestJoiningPermissions(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	actors := map[string]guildhall.Actor{
		"site admin":             f.person("Ada Admin", siteAdminAccount),
		"elevated token":         {Elevated: true},
		"group admin":            f.person("Gus Groupadmin"),
		"group member":           f.person("Gil Groupmember"),
		"other member":           f.person("Otto Other"),
		"private-profile member": f.person("Pia Private", privateProfileAccount),
	}
	cora := f.person("Cora Coadmin")
	tess := f.person("Tess Target")
	rita := f.person("Rita Requester")
	nia := f.person("Nia Newcomer")

	newGroup := func(p guildhall.Privacy, settings guildhall.GroupSettings, action string, actor guildhall.Actor) *guildhall.Group {
		t.Helper()
		g := f.group(fmt.Sprintf("%s group %d", p.Label(), f.next()), p, settings, actors["group admin"], cora)
		f.member(g, actors["group member"], guildhall.RoleMember)
		f.member(g, tess, guildhall.RoleMember)
		f.pending(g, rita, time.Time{})
		if action == "cancel" && actor.ID != "" && f.role(g, actor) == guildhall.RoleNone {
			f.pending(g, actor, time.Time{})
		}
		return f.reload(g)
	}

	firstErr := func(results []guildhall.BulkResult[guildhall.JoinRequest], err error) error {
		if err == nil && len(results) == 1 {
			return results[0].Err
		}
		return err
	}
	firstMemberErr := func(results []guildhall.BulkResult[guildhall.Member], err error) error {
		if err == nil && len(results) == 1 {
			return results[0].Err
		}
		return err
	}
	actions := map[string]func(a guildhall.Actor, g *guildhall.Group) error{
		"join or request": func(a guildhall.Actor, g *guildhall.Group) error {
			res, err := f.ms.Join(f.ctx, a, g.ID, nil)
			if err != nil {
				return err
			}
			if (g.Privacy == guildhall.Public) != (res.Member != nil) || (g.Privacy == guildhall.Private) != (res.Request != nil) {
				return fmt.Errorf("%s group: got %+v", g.Privacy, res)
			}
			return nil
		},
		"cancel": func(a guildhall.Actor, g *guildhall.Group) error {
			_, err := f.ms.CancelJoinRequest(f.ctx, a, g.ID)
			return err
		},
		"approve": func(a guildhall.Actor, g *guildhall.Group) error {
			return firstErr(f.ms.ApproveJoinRequests(f.ctx, a, g.ID, []string{rita.ID}))
		},
		"reject": func(a guildhall.Actor, g *guildhall.Group) error {
			return firstErr(f.ms.RejectJoinRequests(f.ctx, a, g.ID, []guildhall.MemberRejection{{AccountID: rita.ID, Reason: "No."}}))
		},
		"add": func(a guildhall.Actor, g *guildhall.Group) error {
			return firstMemberErr(f.ms.AddMembers(f.ctx, a, g.ID, []string{nia.ID}))
		},
		"remove": func(a guildhall.Actor, g *guildhall.Group) error {
			return f.ms.RemoveMember(f.ctx, a, g.ID, tess.ID)
		},
		"promote": func(a guildhall.Actor, g *guildhall.Group) error {
			return firstMemberErr(f.ms.SetRole(f.ctx, a, g.ID, []string{tess.ID}, guildhall.RoleAdmin))
		},
		"demote": func(a guildhall.Actor, g *guildhall.Group) error {
			return firstMemberErr(f.ms.SetRole(f.ctx, a, g.ID, []string{cora.ID}, guildhall.RoleMember))
		},
		"leave": func(a guildhall.Actor, g *guildhall.Group) error {
			return f.ms.Leave(f.ctx, a, g.ID)
		},
		"list members": func(a guildhall.Actor, g *guildhall.Group) error {
			page, err := f.ms.ListMembers(f.ctx, a, g.ID, 0, 0)
			if err == nil && page.Total != 4 {
				return fmt.Errorf("listed %d members, want 4", page.Total)
			}
			return err
		},
		"list requests": func(a guildhall.Actor, g *guildhall.Group) error {
			page, err := f.ms.ListJoinRequests(f.ctx, a, g.ID, guildhall.RequestQuery{})
			if err == nil && page.Total == 0 {
				return errOwnOnly
			}
			if err == nil && page.Total != 1 {
				return fmt.Errorf("listed %d requests, want 1", page.Total)
			}
			return err
		},
	}

	// settings: "off" runs with every switch off, "on" with every switch
	// on, "any" with both (the action must not care).
	tests := []struct {
		actor, action, settings string
		public, private, secret string
	}{
		{"site admin", "join or request", "any", "ok", "ok", "403"},
		{"site admin", "cancel", "any", "ok", "ok", "ok"},
		{"site admin", "approve", "any", "ok", "ok", "ok"},
		{"site admin", "reject", "any", "ok", "ok", "ok"},
		{"site admin", "add", "any", "ok", "ok", "ok"},
		{"site admin", "remove", "any", "ok", "ok", "ok"},
		{"site admin", "promote", "any", "ok", "ok", "ok"},
		{"site admin", "demote", "any", "ok", "ok", "ok"},
		{"site admin", "leave", "any", "412", "412", "412"},
		{"site admin", "list members", "any", "ok", "ok", "ok"},
		{"site admin", "list requests", "any", "ok", "ok", "ok"},

		{"elevated token", "join or request", "any", "401", "401", "401"},
		{"elevated token", "cancel", "any", "404", "404", "404"},
		{"elevated token", "approve", "any", "ok", "ok", "ok"},
		{"elevated token", "reject", "any", "ok", "ok", "ok"},
		{"elevated token", "add", "any", "ok", "ok", "ok"},
		{"elevated token", "remove", "any", "ok", "ok", "ok"},
		{"elevated token", "promote", "any", "ok", "ok", "ok"},
		{"elevated token", "demote", "any", "ok", "ok", "ok"},
		{"elevated token", "leave", "any", "412", "412", "412"},
		{"elevated token", "list members", "any", "ok", "ok", "ok"},
		{"elevated token", "list requests", "any", "ok", "ok", "ok"},

		{"group admin", "join or request", "any", "409", "409", "409"},
		{"group admin", "cancel", "any", "404", "404", "404"},
		{"group admin", "approve", "any", "ok", "ok", "ok"},
		{"group admin", "reject", "any", "ok", "ok", "ok"},
		{"group admin", "add", "any", "ok", "ok", "ok"},
		{"group admin", "remove", "any", "ok", "ok", "ok"},
		{"group admin", "promote", "any", "ok", "ok", "ok"},
		{"group admin", "demote", "any", "ok", "ok", "ok"},
		{"group admin", "leave", "any", "ok", "ok", "ok"},
		{"group admin", "list members", "any", "ok", "ok", "ok"},
		{"group admin", "list requests", "any", "ok", "ok", "ok"},

		{"group member", "join or request", "any", "409", "409", "409"},
		{"group member", "cancel", "any", "404", "404", "404"},
		{"group member", "approve", "off", "403", "403", "403"},
		{"group member", "approve", "on", "ok", "ok", "ok"},
		{"group member", "reject", "off", "403", "403", "403"},
		{"group member", "reject", "on", "ok", "ok", "ok"},
		{"group member", "add", "off", "403", "403", "ok"},
		{"group member", "add", "on", "ok", "ok", "ok"},
		{"group member", "remove", "any", "403", "403", "403"},
		{"group member", "promote", "any", "403", "403", "403"},
		{"group member", "demote", "any", "403", "403", "403"},
		{"group member", "leave", "any", "ok", "ok", "ok"},
		{"group member", "list members", "off", "403", "403", "403"},
		{"group member", "list members", "on", "ok", "ok", "ok"},
		{"group member", "list requests", "off", "own", "own", "own"},
		{"group member", "list requests", "on", "ok", "ok", "ok"},

		{"other member", "join or request", "any", "ok", "ok", "404"},
		{"other member", "cancel", "any", "ok", "ok", "404"},
		{"other member", "approve", "any", "403", "403", "404"},
		{"other member", "reject", "any", "403", "403", "404"},
		{"other member", "add", "any", "403", "403", "404"},
		{"other member", "remove", "any", "403", "403", "404"},
		{"other member", "promote", "any", "403", "403", "404"},
		{"other member", "demote", "any", "403", "403", "404"},
		{"other member", "leave", "any", "412", "412", "404"},
		{"other member", "list members", "off", "403", "403", "404"},
		{"other member", "list members", "on", "ok", "403", "404"},
		{"other member", "list requests", "any", "own", "own", "404"},

		{"private-profile member", "join or request", "any", "403", "403", "404"},
		{"private-profile member", "cancel", "any", "ok", "ok", "404"},
		{"private-profile member", "approve", "any", "403", "403", "404"},
		{"private-profile member", "reject", "any", "403", "403", "404"},
		{"private-profile member", "add", "any", "403", "403", "404"},
		{"private-profile member", "remove", "any", "403", "403", "404"},
		{"private-profile member", "promote", "any", "403", "403", "404"},
		{"private-profile member", "demote", "any", "403", "403", "404"},
		{"private-profile member", "leave", "any", "412", "412", "404"},
		{"private-profile member", "list members", "off", "403", "403", "404"},
		{"private-profile member", "list members", "on", "ok", "403", "404"},
		{"private-profile member", "list requests", "any", "own", "own", "404"},
	}
	privacies := []guildhall.Privacy{guildhall.Public, guildhall.Private, guildhall.Secret}
	variants := map[string][]string{"off": {"off"}, "on": {"on"}, "any": {"off", "on"}}
	settingsOf := map[string]guildhall.GroupSettings{"off": noSettings, "on": allSettings}
	for _, tt := range tests {
		for i, want := range []string{tt.public, tt.private, tt.secret} {
			p := privacies[i]
			for _, variant := range variants[tt.settings] {
				t.Run(fmt.Sprintf("%s/%s/%s/settings %s", tt.actor, tt.action, p, variant), func(t *testing.T) {
					kind, known := joiningOutcomes[want]
					if !known {
						t.Fatalf("unknown outcome %q", want)
					}
					actor := actors[tt.actor]
					g := newGroup(p, settingsOf[variant], tt.action, actor)
					err := actions[tt.action](actor, g)
					if kind == nil && err != nil || kind != nil && !errors.Is(err, kind) {
						t.Fatalf("got %v, want %s", err, want)
					}
					f.wantCountsRight(g)
				})
			}
		}
	}

	t.Run("a hidden group says exactly what an unknown one says", func(t *testing.T) {
		secret := newGroup(guildhall.Secret, allSettings, "", guildhall.Actor{})
		otto := actors["other member"]
		const unknown = "7d8f6a3c-0b1e-4c2d-9e8f-1a2b3c4d5e6f"
		for name, action := range actions {
			secretErr := action(otto, secret)
			unknownErr := action(otto, &guildhall.Group{ID: unknown, Privacy: guildhall.Secret})
			if !errors.Is(secretErr, guildhall.ErrNotFound) || guildhall.Message(secretErr) != guildhall.Message(unknownErr) {
				t.Errorf("%s: secret: %v, unknown: %v", name, secretErr, unknownErr)
			}
		}
	})
}

// TestJoinRefusalsSayWhy checks the reasons people read when they cannot
// join, leave or see a list.
func TestJoinRefusalsSayWhy(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	admin := f.person("Ada Admin")
	pia := f.person("Pia Private", privateProfileAccount)
	site := f.person("Sam Siteadmin", siteAdminAccount)
	otto := f.person("Otto Other")
	hiking := f.group("Hiking Club", guildhall.Public, guildhall.GroupSettings{}, admin)
	secret := f.group("Night Owls", guildhall.Secret, allSettings, admin)
	private := f.group("Book Club", guildhall.Private, allSettings, admin)

	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"private profile", func() error { _, err := f.ms.Join(f.ctx, pia, hiking.ID, nil); return err },
			`Only members with a public profile can join groups. Turn on "Public profile" on your profile page (/profile) to join.`},
		{"secret group", func() error { _, err := f.ms.Join(f.ctx, site, secret.ID, nil); return err },
			"Night Owls is secret: only its members can add you."},
		{"already a member", func() error { _, err := f.ms.Join(f.ctx, admin, hiking.ID, nil); return err },
			"You are already a member of Hiking Club."},
		{"not a member", func() error { return f.ms.Leave(f.ctx, otto, hiking.ID) },
			"You are not a member of Hiking Club."},
		{"last admin", func() error { return f.ms.Leave(f.ctx, admin, hiking.ID) },
			"You are the last admin of Hiking Club: make another member an admin first."},
		{"hidden list", func() error { _, err := f.ms.ListMembers(f.ctx, otto, hiking.ID, 0, 0); return err },
			"The member list of Hiking Club is visible to its admins only."},
		{"members-only list", func() error { _, err := f.ms.ListMembers(f.ctx, otto, private.ID, 0, 0); return err },
			"The member list of Book Club is visible to its members only."},
		{"no pending request", func() error { _, err := f.ms.CancelJoinRequest(f.ctx, otto, private.ID); return err },
			"You have no pending request to join Book Club."},
		{"adding a private profile", func() error {
			res, err := f.ms.AddMembers(f.ctx, admin, hiking.ID, []string{pia.ID})
			if err != nil {
				return err
			}
			return res[0].Err
		}, "Pia Private has a private profile and cannot be added to groups."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := guildhall.Message(tt.err()); got != tt.want {
				t.Errorf("message = %q, want %q", got, tt.want)
			}
		})
	}
}
