package guildhall

// The permission rules. Each is named, decided here and nowhere else: the
// services ask them before changing anything, and the pages ask the same
// rules to choose which buttons to show. role is the actor's role in the
// group (RoleNone when not a member).

// CanSeeGroup: public and private groups are visible to every site member; a
// secret group only to its members and site admins.
func CanSeeGroup(a Actor, g *Group, role Role) bool {
	return a.IsSiteAdmin() || g.Privacy != Secret || role != RoleNone
}

// CanManageGroup (update, delete, settings): site admins and group admins.
func CanManageGroup(a Actor, g *Group, role Role) bool {
	return a.IsSiteAdmin() || role == RoleAdmin
}

// CreationMode is what a create by an actor does under the site's policy.
type CreationMode int

// The creation modes.
const (
	CreationRefused CreationMode = iota
	CreationDirect
	CreationNeedsApproval
)

// HowCanCreateGroup decides what a create does: site admins (and elevated
// callers) always create directly; members follow the policy.
func HowCanCreateGroup(a Actor, p CreationPolicy) CreationMode {
	if a.IsSiteAdmin() {
		return CreationDirect
	}
	switch p {
	case AllMembers:
		return CreationDirect
	case MembersWithApproval:
		return CreationNeedsApproval
	}
	return CreationRefused
}

// CanCreateOrRequestGroup decides whether "New group" is offered.
func CanCreateOrRequestGroup(a Actor, p CreationPolicy) bool {
	return HowCanCreateGroup(a, p) != CreationRefused
}

// CanAdministerSite (settings, create-request queue, audit log): site admins.
func CanAdministerSite(a Actor) bool { return a.IsSiteAdmin() }

// CanDecideJoinRequests: site admins, the group's admins, and every member
// when the group lets members approve.
func CanDecideJoinRequests(a Actor, g *Group, role Role) bool {
	return a.IsSiteAdmin() || role == RoleAdmin || (role == RoleMember && g.MembersCanApprove)
}

// NotCreator is the refusal of someone HowCanCreateGroup turns away.
func NotCreator() error { return Forbidden("Only site admins can create groups on this site.") }

// NotAdder is the refusal of someone CanAddMembers turns away.
func NotAdder(g *Group) error {
	return Forbidden("Only the admins of %s can add members to it.", g.Name)
}

// NotDecider is the refusal of someone CanDecideJoinRequests turns away.
func NotDecider(g *Group) error {
	if g.MembersCanApprove {
		return Forbidden("Only the members of %s can decide its join requests.", g.Name)
	}
	return Forbidden("Only the admins of %s can decide its join requests.", g.Name)
}

// CanAddMembers: site admins and group admins always; in a secret group every
// member; elsewhere every member when the group lets members invite.
func CanAddMembers(a Actor, g *Group, role Role) bool {
	if a.IsSiteAdmin() || role == RoleAdmin {
		return true
	}
	return role == RoleMember && (g.Privacy == Secret || g.MembersCanInvite)
}

// CanSeeMemberList: admins always; members when the list is shown; others
// only for a public group whose list is shown. A private group's list is for
// members only.
func CanSeeMemberList(a Actor, g *Group, role Role) bool {
	if a.IsSiteAdmin() || role == RoleAdmin {
		return true
	}
	if !g.ShowMemberList {
		return false
	}
	return role == RoleMember || g.Privacy == Public
}

// CanManageMembers (promote, demote, remove others): site admins and group admins.
func CanManageMembers(a Actor, g *Group, role Role) bool {
	return a.IsSiteAdmin() || role == RoleAdmin
}

// JoinMode is what "join" does for an actor and a group.
type JoinMode int

// The join modes.
const (
	JoinRefused JoinMode = iota
	JoinAtOnce
	JoinByRequest
)

// HowCanJoin decides what a join does, or why it cannot happen.
func HowCanJoin(a Actor, g *Group, role Role, hasPendingRequest bool) (JoinMode, error) {
	if role != RoleNone {
		return JoinRefused, Conflict("You are already a member of %s.", g.Name)
	}
	if !a.PublicProfile {
		return JoinRefused, errPrivateProfile()
	}
	switch g.Privacy {
	case Public:
		return JoinAtOnce, nil
	case Private:
		if hasPendingRequest {
			return JoinRefused, Conflict("You already asked to join %s; your request is waiting for a decision.", g.Name)
		}
		return JoinByRequest, nil
	}
	return JoinRefused, Forbidden("%s is secret: only its members can add you.", g.Name)
}

func errPrivateProfile() error {
	return Forbidden("Only members with a public profile can join groups. Turn on \"Public profile\" on your profile page (/profile) to join.")
}

// JoinBlocked is the refusal HowCanJoin gives someone who could join or
// ask to join g but for something they can change themselves (a private
// profile), so the group page can say so beside a link to the profile; nil
// otherwise. A secret group is never joined by asking, so it blocks nobody
// this way.
func JoinBlocked(a Actor, g *Group, role Role) error {
	if role == RoleNone && !a.PublicProfile && g.Privacy != Secret {
		return errPrivateProfile()
	}
	return nil
}

// CanLeave: every member may leave (the last admin is then refused until
// another member is an admin, which only the store can count).
func CanLeave(a Actor, g *Group, role Role) bool { return role != RoleNone }
