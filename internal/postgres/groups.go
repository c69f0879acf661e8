package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// GroupService implements guildhall.GroupService.
type GroupService struct{ db *DB }

// NewGroupService returns the group service.
func NewGroupService(db *DB) *GroupService { return &GroupService{db: db} }

var _ guildhall.GroupService = (*GroupService)(nil)

// groupNotFound is the one answer for an unknown group and for a secret group
// the actor may not see, so the two cannot be told apart.
func groupNotFound() error { return guildhall.NotFound("Group not found.") }

// groupColumns are the columns of guildhall.Group, from groups aliased g.
const groupColumns = `g.id, g.name, g.slug, g.description, g.privacy,
	g.members_can_approve, g.members_can_invite, g.show_member_list,
	g.owner_id, g.members_count, g.created_at, g.updated_at, g.last_activity_at`

// groupViewColumns and groupViewJoins select a guildhall.GroupView for the
// viewer $1 (an account id or NULL) who is a site admin when $2 is true. The
// viewer's role and pending request come in the same row (no query per
// group), and groupVisible keeps out every group the viewer may not see.
const (
	groupViewColumns = groupColumns + `,
	COALESCE(m.role, '') AS viewer_role,
	EXISTS (SELECT 1 FROM join_requests jr
		WHERE jr.group_id = g.id AND jr.account_id = $1::uuid AND jr.status = 'PENDING') AS has_pending_request`
	groupViewJoins = `
	FROM groups g
	LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid`
	groupViewFrom = `SELECT ` + groupViewColumns + groupViewJoins
)

// groupVisible is guildhall.CanSeeGroup in SQL, so that lists, counts and
// totals never include a secret group the viewer may not see: site admins
// see every group, everyone sees public and private ones, and members see
// their secret ones. Single reads check the rule again in Go.
const groupVisible = `g.deleted_at IS NULL AND ($2::boolean OR g.privacy <> 'SECRET' OR m.role IS NOT NULL)`

// viewerArgs are $1 and $2 of groupViewFrom and groupVisible.
func viewerArgs(actor guildhall.Actor) []any {
	return []any{nullIfEmpty(actor.ID), actor.IsSiteAdmin()}
}

// nullIfEmpty turns "" into NULL, for ids of actors with no account.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// groupViewNames are the names of groupViewColumns, in the order of
// groupViewDest.
var groupViewNames = []string{"id", "name", "slug", "description", "privacy",
	"members_can_approve", "members_can_invite", "show_member_list",
	"owner_id", "members_count", "created_at", "updated_at", "last_activity_at",
	"viewer_role", "has_pending_request"}

// groupViewDest are the fields of v in the order of groupViewColumns, for
// scanning a group read by position (scanPrepared).
func groupViewDest(v *guildhall.GroupView) []any {
	g := &v.Group
	return []any{&g.ID, &g.Name, &g.Slug, &g.Description, &g.Privacy,
		&g.MembersCanApprove, &g.MembersCanInvite, &g.ShowMemberList,
		&g.OwnerID, &g.MembersCount, &g.CreatedAt, &g.UpdatedAt, &g.LastActivityAt,
		&v.ViewerRole, &v.HasPendingRequest}
}

// getView reads one group with query, groupViewFrom and a WHERE on $3
// (arg). The SQL already leaves out what actor may not see;
// guildhall.CanSeeGroup stays the last word. Unknown and hidden are the
// same not found.
func (s *GroupService) getView(ctx context.Context, actor guildhall.Actor, query string, arg any) (*guildhall.GroupView, error) {
	var v guildhall.GroupView
	err := s.db.scanPrepared(ctx, query, append(viewerArgs(actor), arg), groupViewDest(&v)...)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !guildhall.CanSeeGroup(actor, &v.Group, v.ViewerRole) {
		return nil, groupNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("read group: %w", err)
	}
	return &v, nil
}

// GroupByID returns the group with id as actor sees it, in one statement.
//
// A secret group the actor may not see and an id no group has must not be
// told apart by how long the answer takes, so both take one path: the plan
// looks the id up in groups and the actor's membership up in group_members
// by the id asked for (not by the group found), and only then filters on
// visibility. COALESCE keeps the filter from proving groups non-null, which
// would let the planner turn the outer join into an inner one and skip the
// membership lookup when no group has the id. Neither reaches the pending
// request's subquery, which runs only for the row returned.
func (s *GroupService) GroupByID(ctx context.Context, actor guildhall.Actor, id string) (*guildhall.GroupView, error) {
	if !isUUID(id) {
		return nil, groupNotFound()
	}
	var v guildhall.GroupView
	err := s.db.scanPrepared(ctx, `SELECT `+groupViewColumns+`
		FROM (VALUES ($3::uuid)) AS want (id)
		LEFT JOIN groups g ON g.id = want.id
		LEFT JOIN group_members m ON m.group_id = want.id AND m.account_id = $1::uuid
		WHERE COALESCE(g.id IS NOT NULL AND `+groupVisible+`, false)`,
		append(viewerArgs(actor), id), groupViewDest(&v)...)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !guildhall.CanSeeGroup(actor, &v.Group, v.ViewerRole) {
		return nil, groupNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("read group: %w", err)
	}
	return &v, nil
}

// GroupBySlug returns the live group with slug or, failing that, the group
// that most recently answered to slug before a rename or a privacy change.
// Either way the group must be visible to actor: a former slug never leads
// someone to a secret group they may not see.
func (s *GroupService) GroupBySlug(ctx context.Context, actor guildhall.Actor, slug string) (*guildhall.GroupView, error) {
	v, err := s.getView(ctx, actor, groupViewFrom+`
		WHERE g.slug = $3 AND `+groupVisible, slug)
	if !errors.Is(err, guildhall.ErrNotFound) {
		return v, err
	}
	return s.getView(ctx, actor, groupViewFrom+`
		JOIN group_old_slugs o ON o.group_id = g.id
		WHERE o.slug = $3 AND `+groupVisible+`
		ORDER BY o.created_at DESC
		LIMIT 1`, slug)
}

// groupForActor reads the live group id and actor's role in it, for a
// read that decides nothing. A group actor may not see
// (guildhall.CanSeeGroup) is not found, with the same answer as an unknown id.
func groupForActor(ctx context.Context, q sqlx.QueryerContext, actor guildhall.Actor, id string) (*guildhall.Group, guildhall.Role, error) {
	if !isUUID(id) {
		return nil, guildhall.RoleNone, groupNotFound()
	}
	return readGroup(ctx, q, actor, id)
}

// lockGroup is groupForActor for a change: it locks the group row FOR
// UPDATE inside tx, so that two admins deciding at once cannot both win.
// Every change to a group, its members or its requests decides on this
// locked row.
func lockGroup(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, id string) (*guildhall.Group, guildhall.Role, error) {
	if !isUUID(id) {
		return nil, guildhall.RoleNone, groupNotFound()
	}
	return lockedGroup(actor, id, func(dest any, query string, args ...any) error {
		return tx.GetContext(ctx, dest, query, args...)
	})
}

// lockGroupSQL and roleInSQL are a locking read's two statements.
const (
	lockGroupSQL = `SELECT ` + groupColumns + ` FROM groups g WHERE g.id = $1 AND g.deleted_at IS NULL FOR UPDATE OF g`
	roleInSQL    = `SELECT role FROM group_members WHERE group_id = $1 AND account_id = $2`
)

// lockedGroup locks the group row first and reads the actor's role in a
// second statement, each through get (a plain read in the transaction, or
// the statement cache's, lockGroupTx), so that the role is read after the
// lock is granted and is the one the change will see (a statement that
// waited for the lock would otherwise pair the new group row with the
// member row of its old snapshot).
func lockedGroup(actor guildhall.Actor, id string, get func(dest any, query string, args ...any) error) (*guildhall.Group, guildhall.Role, error) {
	var g guildhall.Group
	err := get(&g, lockGroupSQL, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guildhall.RoleNone, groupNotFound()
	}
	if err != nil {
		return nil, guildhall.RoleNone, fmt.Errorf("read group: %w", err)
	}
	role := guildhall.RoleNone
	if actor.ID != "" {
		err = get(&role, roleInSQL, g.ID, actor.ID)
		if errors.Is(err, sql.ErrNoRows) {
			role, err = guildhall.RoleNone, nil
		}
		if err != nil {
			return nil, guildhall.RoleNone, fmt.Errorf("read role: %w", err)
		}
	}
	if !guildhall.CanSeeGroup(actor, &g, role) {
		return nil, guildhall.RoleNone, groupNotFound()
	}
	return &g, role, nil
}

// readGroup is groupForActor's read, without a lock: the group and the actor's role in
// one statement, prepared once per connection when q is the pool.
func readGroup(ctx context.Context, q sqlx.QueryerContext, actor guildhall.Actor, id string) (*guildhall.Group, guildhall.Role, error) {
	var row struct {
		guildhall.Group
		Role guildhall.Role `db:"viewer_role"`
	}
	query := `SELECT ` + groupColumns + `, COALESCE(m.role, '') AS viewer_role
		FROM groups g LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $2
		WHERE g.id = $1 AND g.deleted_at IS NULL`
	account := sql.NullString{String: actor.ID, Valid: actor.ID != ""}
	var err error
	if db, ok := q.(*DB); ok {
		err = db.getPrepared(ctx, &row, query, id, account)
	} else {
		err = sqlx.GetContext(ctx, q, &row, query, id, account)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guildhall.RoleNone, groupNotFound()
	}
	if err != nil {
		return nil, guildhall.RoleNone, fmt.Errorf("read group: %w", err)
	}
	if !guildhall.CanSeeGroup(actor, &row.Group, row.Role) {
		return nil, guildhall.RoleNone, groupNotFound()
	}
	return &row.Group, row.Role, nil
}

// roleIn returns accountID's role in group groupID, RoleNone when not a member.
func roleIn(ctx context.Context, q sqlx.QueryerContext, groupID, accountID string) (guildhall.Role, error) {
	if accountID == "" {
		return guildhall.RoleNone, nil
	}
	var role guildhall.Role
	err := sqlx.GetContext(ctx, q, &role, roleInSQL, groupID, accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return guildhall.RoleNone, nil
	}
	if err != nil {
		return guildhall.RoleNone, fmt.Errorf("read role: %w", err)
	}
	return role, nil
}
