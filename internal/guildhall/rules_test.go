package guildhall

import (
	"errors"
	"fmt"
	"testing"
)

// The people of domain.md, as the rules see them: who they are and their
// role in the group under test. Sign-in is asked before any rule (a
// visitor sees only the sign-in pages); the rules give a visitor no more
// than a site member outside the group.
var ruleActors = []struct {
	name    string
	actor   Actor
	role    Role
	pending bool // has a pending join request to the group
}{
	{"visitor", Actor{}, RoleNone, false},
	{"outsider", Actor{Account: Account{ID: "o", PublicProfile: true}}, RoleNone, false},
	{"private profile", Actor{Account: Account{ID: "p"}}, RoleNone, false},
	{"requester", Actor{Account: Account{ID: "r", PublicProfile: true}}, RoleNone, true},
	{"member", Actor{Account: Account{ID: "m", PublicProfile: true}}, RoleMember, false},
	{"group admin", Actor{Account: Account{ID: "a", PublicProfile: true}}, RoleAdmin, false},
	{"site admin", Actor{Account: Account{ID: "s", PublicProfile: true, SiteAdmin: true}}, RoleNone, false},
	{"elevated", Actor{Account: Account{ID: "e", PublicProfile: true}, Elevated: true}, RoleNone, false},
}

var rulePrivacies = []Privacy{Public, Private, Secret}

// A grid gives one row per actor of ruleActors, in order, and one letter per
// privacy of rulePrivacies: y allowed, - refused (for join: J joins at
// once, R sends a request).
type grid [8]string

// ruleTable is every rule × the setting it depends on. A rule that depends
// on no setting has the same grid with the setting on and off; the test
// asks it under all eight combinations of settings all the same.
var ruleTable = []struct {
	action  string
	setting string // the GroupSettings field the answer depends on
	on, off grid
	ask     func(a Actor, g *Group, role Role, pending bool) string
}{
	{
		action: "see the group",
		ask:    yes(CanSeeGroup),
		on: grid{
			"yy-", // visitor
			"yy-", // outsider
			"yy-", // private profile
			"yy-", // requester
			"yyy", // member
			"yyy", // group admin
			"yyy", // site admin
			"yyy", // elevated
		},
	},
	{
		action: "manage the group (update, delete, settings, questions, privacy)",
		ask:    yes(CanManageGroup),
		on:     grid{"---", "---", "---", "---", "---", "yyy", "yyy", "yyy"},
	},
	{
		action: "decide join requests", setting: "membersCanApprove",
		ask: yes(CanDecideJoinRequests),
		on:  grid{"---", "---", "---", "---", "yyy", "yyy", "yyy", "yyy"},
		off: grid{"---", "---", "---", "---", "---", "yyy", "yyy", "yyy"},
	},
	{
		action: "add members", setting: "membersCanInvite",
		ask: yes(CanAddMembers),
		on:  grid{"---", "---", "---", "---", "yyy", "yyy", "yyy", "yyy"},
		off: grid{"---", "---", "---", "---", "--y", "yyy", "yyy", "yyy"},
	},
	{
		action: "see the member list", setting: "showMemberList",
		ask: yes(CanSeeMemberList),
		on:  grid{"y--", "y--", "y--", "y--", "yyy", "yyy", "yyy", "yyy"},
		off: grid{"---", "---", "---", "---", "---", "yyy", "yyy", "yyy"},
	},
	{
		action: "promote, demote and remove members",
		ask:    yes(CanManageMembers),
		on:     grid{"---", "---", "---", "---", "---", "yyy", "yyy", "yyy"},
	},
	{
		action: "leave",
		ask:    yes(CanLeave),
		on:     grid{"---", "---", "---", "---", "yyy", "yyy", "---", "---"},
	},
	{
		action: "join",
		ask: func(a Actor, g *Group, role Role, pending bool) string {
			mode, err := HowCanJoin(a, g, role, pending)
			switch {
			case mode == JoinAtOnce && err == nil:
				return "J"
			case mode == JoinByRequest && err == nil:
				return "R"
			case mode == JoinRefused && err != nil:
				return "-"
			}
			return fmt.Sprintf("?(%d, %v)", mode, err)
		},
		on: grid{"---", "JR-", "---", "J--", "---", "---", "JR-", "JR-"},
	},
	{
		action: "be told a private profile blocks joining",
		ask: func(a Actor, g *Group, role Role, _ bool) string {
			err := JoinBlocked(a, g, role)
			if err != nil && !errors.Is(err, ErrForbidden) {
				return "?"
			}
			return yn(err != nil)
		},
		on: grid{"yy-", "---", "yy-", "---", "---", "---", "---", "---"},
	},
}

func yes(rule func(Actor, *Group, Role) bool) func(Actor, *Group, Role, bool) string {
	return func(a Actor, g *Group, role Role, _ bool) string { return yn(rule(a, g, role)) }
}

func yn(ok bool) string {
	if ok {
		return "y"
	}
	return "-"
}

// TestRules asks every rule for every actor × privacy × combination of
// settings and compares with the grids above, written from domain.md.
func TestRules(t *testing.T) {
	t.Parallel()
	for _, rule := range ruleTable {
		for combo := range 8 {
			settings := GroupSettings{MembersCanApprove: combo&1 != 0, MembersCanInvite: combo&2 != 0, ShowMemberList: combo&4 != 0}
			want := rule.on
			switch {
			case rule.setting == "membersCanApprove" && !settings.MembersCanApprove,
				rule.setting == "membersCanInvite" && !settings.MembersCanInvite,
				rule.setting == "showMemberList" && !settings.ShowMemberList:
				want = rule.off
			}
			for i, who := range ruleActors {
				for j, p := range rulePrivacies {
					g := &Group{Name: "Hikers", Privacy: p, GroupSettings: settings}
					got := rule.ask(who.actor, g, who.role, who.pending)
					if w := string(want[i][j]); got != w {
						t.Errorf("%s may %s of a %s group with %+v: got %q, want %q",
							who.name, rule.action, p, settings, got, w)
					}
				}
			}
		}
	}
}

// TestJoinRefusals: each refusal of HowCanJoin is of the kind the API
// answers with (409 for what already stands, 403 for what is not allowed).
func TestJoinRefusals(t *testing.T) {
	t.Parallel()
	outsider := Actor{Account: Account{ID: "o", PublicProfile: true}}
	for _, tt := range []struct {
		name    string
		actor   Actor
		role    Role
		privacy Privacy
		pending bool
		want    error
	}{
		{"a member joins again", outsider, RoleMember, Public, false, ErrConflict},
		{"a second request", outsider, RoleNone, Private, true, ErrConflict},
		{"a private profile", Actor{Account: Account{ID: "p"}}, RoleNone, Public, false, ErrForbidden},
		{"a secret group", outsider, RoleNone, Secret, false, ErrForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := HowCanJoin(tt.actor, &Group{Name: "Hikers", Privacy: tt.privacy}, tt.role, tt.pending)
			if !errors.Is(err, tt.want) {
				t.Errorf("HowCanJoin = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestCreationRules: who creates a group, under each site policy.
func TestCreationRules(t *testing.T) {
	t.Parallel()
	member := Actor{Account: Account{ID: "m", PublicProfile: true}}
	siteAdmin := Actor{Account: Account{ID: "s", SiteAdmin: true}}
	elevated := Actor{Account: Account{ID: "e"}, Elevated: true}
	for _, tt := range []struct {
		name   string
		actor  Actor
		policy CreationPolicy
		want   CreationMode
		offer  bool
	}{
		{"member, admins only", member, AdminsOnly, CreationRefused, false},
		{"member, all members", member, AllMembers, CreationDirect, true},
		{"member, with approval", member, MembersWithApproval, CreationNeedsApproval, true},
		{"site admin, admins only", siteAdmin, AdminsOnly, CreationDirect, true},
		{"site admin, all members", siteAdmin, AllMembers, CreationDirect, true},
		{"site admin, with approval", siteAdmin, MembersWithApproval, CreationDirect, true},
		{"elevated, admins only", elevated, AdminsOnly, CreationDirect, true},
		{"elevated, with approval", elevated, MembersWithApproval, CreationDirect, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := HowCanCreateGroup(tt.actor, tt.policy); got != tt.want {
				t.Errorf("HowCanCreateGroup = %d, want %d", got, tt.want)
			}
			if got := CanCreateOrRequestGroup(tt.actor, tt.policy); got != tt.offer {
				t.Errorf("CanCreateOrRequestGroup = %v, want %v", got, tt.offer)
			}
		})
	}
	for _, tt := range []struct {
		name  string
		actor Actor
		want  bool
	}{{"member", member, false}, {"site admin", siteAdmin, true}, {"elevated", elevated, true}} {
		if got := CanAdministerSite(tt.actor); got != tt.want {
			t.Errorf("CanAdministerSite(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestPrivacyChangeEffect: what each change of privacy does to pending
// join requests (domain.md, "Privacy changes").
func TestPrivacyChangeEffect(t *testing.T) {
	t.Parallel()
	for _, from := range rulePrivacies {
		for _, to := range rulePrivacies {
			want := PrivacyPreview{From: from, To: to, Pending: 3}
			switch {
			case from == Private && to == Public:
				want.Approvals = 3
			case from == Private && to == Secret:
				want.Rejects = 3
			}
			if got := EffectOfPrivacyChange(from, to, 3); got != want {
				t.Errorf("%s → %s = %+v, want %+v", from, to, got, want)
			}
		}
	}
	three := 3
	if err := ConfirmedDecisions(&three, 3); err != nil {
		t.Errorf("confirmed 3, deciding 3: %v", err)
	}
	if err := ConfirmedDecisions(&three, 4); !errors.Is(err, ErrFailedPrecondition) {
		t.Errorf("confirmed 3, deciding 4: %v, want ErrFailedPrecondition", err)
	}
	if err := ConfirmedDecisions(nil, 4); err != nil {
		t.Errorf("nothing confirmed: %v", err)
	}
}
