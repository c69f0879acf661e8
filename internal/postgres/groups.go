package postgres

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

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

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// isUUID reports whether s can be an id; anything else is simply not found,
// rather than a driver error about the uuid type.
func isUUID(s string) bool { return uuidPattern.MatchString(s) }

// getView reads one group through groupViewFrom with where ($3 is arg).
// The SQL already leaves out what actor may not see; guildhall.CanSeeGroup
// stays the last word. Unknown and hidden are the same not found.
func (s *GroupService) getView(ctx context.Context, actor guildhall.Actor, where string, arg any) (*guildhall.GroupView, error) {
	var v guildhall.GroupView
	err := s.db.GetContext(ctx, &v, groupViewFrom+where, append(viewerArgs(actor), arg)...)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !guildhall.CanSeeGroup(actor, &v.Group, v.ViewerRole) {
		return nil, groupNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("read group: %w", err)
	}
	return &v, nil
}

// GroupByID returns the group with id as actor sees it.
func (s *GroupService) GroupByID(ctx context.Context, actor guildhall.Actor, id string) (*guildhall.GroupView, error) {
	if !isUUID(id) {
		return nil, groupNotFound()
	}
	return s.getView(ctx, actor, `
		WHERE g.id = $3 AND `+groupVisible, id)
}

// GroupBySlug returns the live group with slug or, failing that, the group
// that most recently answered to slug before a rename or a privacy change.
// Either way the group must be visible to actor: a former slug never leads
// someone to a secret group they may not see.
func (s *GroupService) GroupBySlug(ctx context.Context, actor guildhall.Actor, slug string) (*guildhall.GroupView, error) {
	v, err := s.getView(ctx, actor, `
		WHERE g.slug = $3 AND `+groupVisible, slug)
	if !errors.Is(err, guildhall.ErrNotFound) {
		return v, err
	}
	return s.getView(ctx, actor, `
		JOIN group_old_slugs o ON o.group_id = g.id
		WHERE o.slug = $3 AND `+groupVisible+`
		ORDER BY o.created_at DESC
		LIMIT 1`, slug)
}

// lockedGroup is a group row locked FOR UPDATE with the actor's role in it.
// lockGroup locks the live group id inside tx and returns it with actor's
// role; a group actor may not see (guildhall.CanSeeGroup) is not found.
// Changes decide on the locked row so two admins cannot both win. The role is
// read in a second statement, after the lock is held: a statement that waited
// for the lock would otherwise see the member row as it was before the wait.
func lockGroup(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, id string) (*guildhall.Group, guildhall.Role, error) {
	if !isUUID(id) {
		return nil, guildhall.RoleNone, groupNotFound()
	}
	var g guildhall.Group
	err := tx.GetContext(ctx, &g, `
		SELECT `+groupColumns+`
		FROM groups g
		WHERE g.id = $1 AND g.deleted_at IS NULL
		FOR UPDATE OF g`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guildhall.RoleNone, groupNotFound()
	}
	if err != nil {
		return nil, guildhall.RoleNone, fmt.Errorf("lock group: %w", err)
	}
	role, err := roleIn(ctx, tx, g.ID, actor.ID)
	if err != nil {
		return nil, guildhall.RoleNone, err
	}
	if !guildhall.CanSeeGroup(actor, &g, role) {
		return nil, guildhall.RoleNone, groupNotFound()
	}
	return &g, role, nil
}

// CreateGroup creates a group at once, stores a create request, or refuses,
// as guildhall.HowCanCreateGroup decides under the site's policy.
func (s *GroupService) CreateGroup(ctx context.Context, actor guildhall.Actor, in guildhall.GroupInput, creatorID string) (*guildhall.Creation, error) {
	in.Normalize()
	settings := guildhall.DefaultGroupSettings()
	if in.Settings != nil {
		settings = *in.Settings
	}
	ownerID := actor.ID
	if ownerID == "" && !actor.Elevated {
		return nil, guildhall.Unauthenticated("Sign in to create a group.")
	}
	if actor.Elevated {
		id, err := s.creator(ctx, creatorID)
		if err != nil {
			return nil, err
		}
		ownerID = id
	}
	var out guildhall.Creation
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		var policy guildhall.CreationPolicy
		if err := tx.GetContext(ctx, &policy, `SELECT creation_policy FROM site_settings`); err != nil {
			return fmt.Errorf("read creation policy: %w", err)
		}
		how := guildhall.HowCanCreateGroup(actor, policy)
		if how != guildhall.CreationDirect && how != guildhall.CreationNeedsApproval {
			// Refused whatever the input: the policy answers first.
			return guildhall.NotCreator()
		}
		if err := in.Validate(); err != nil {
			return err
		}
		if how == guildhall.CreationDirect {
			g, err := insertGroup(ctx, tx, newGroup{
				Name: in.Name, Description: in.Description, Privacy: in.Privacy, Settings: settings, OwnerID: ownerID})
			if err != nil {
				return err
			}
			out.Group = g
			return writeAudit(ctx, tx, guildhall.AuditRecord{
				ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionGroupCreated,
				TargetType: guildhall.TargetGroup, TargetID: g.ID, TargetName: g.Name,
				After: map[string]any{"name": g.Name, "privacy": g.Privacy, "slug": g.Slug, "ownerId": g.OwnerID},
			})
		}
		r, err := insertCreateRequest(ctx, tx, actor.ID, in, settings)
		if err != nil {
			return err
		}
		out.Request = r
		return writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionCreateRequestSubmitted,
			TargetType: guildhall.TargetCreateRequest, TargetID: r.ID, TargetName: r.Name,
			After: map[string]any{"name": r.Name, "privacy": r.Privacy, "status": r.Status},
		})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// creator checks the account an elevated caller names as a group's creator.
func (s *GroupService) creator(ctx context.Context, creatorID string) (string, error) {
	var v guildhall.Validator
	creatorID = strings.TrimSpace(creatorID)
	if creatorID == "" {
		v.Add("creatorId", "An elevated caller must name the account that creates the group (creatorId).")
		return "", v.Err()
	}
	var exists bool
	if isUUID(creatorID) {
		err := s.db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, creatorID)
		if err != nil {
			return "", fmt.Errorf("find creator: %w", err)
		}
	}
	if !exists {
		v.Add("creatorId", "No account has this id.")
		return "", v.Err()
	}
	return creatorID, nil
}

// newGroup is a group about to be stored.
type newGroup struct {
	Name, Description string
	Privacy           guildhall.Privacy
	Settings          guildhall.GroupSettings
	OwnerID           string
}

// insertGroup stores a group with a free slug and its owner as its first
// admin. Direct creates and approved create requests both come here.
func insertGroup(ctx context.Context, tx *sqlx.Tx, n newGroup) (*guildhall.Group, error) {
	var g guildhall.Group
	err := withFreeSlug(ctx, tx, func() (string, error) {
		return pickSlug(ctx, tx, n.Name, n.Privacy, "")
	}, func(slug string) error {
		return tx.GetContext(ctx, &g, `
			INSERT INTO groups AS g (name, slug, description, privacy,
				members_can_approve, members_can_invite, show_member_list, owner_id, members_count)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)
			RETURNING `+groupColumns,
			n.Name, slug, n.Description, n.Privacy,
			n.Settings.MembersCanApprove, n.Settings.MembersCanInvite, n.Settings.ShowMemberList, n.OwnerID)
	})
	if err != nil {
		return nil, fmt.Errorf("insert group: %w", err)
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO group_members (group_id, account_id, role) VALUES ($1, $2, 'ADMIN')`, g.ID, n.OwnerID)
	if err != nil {
		return nil, fmt.Errorf("add group owner: %w", err)
	}
	return &g, nil
}

// maxSlugAttempts bounds the retries when concurrent writers keep taking the
// slug just picked; each retry sees what they committed.
const maxSlugAttempts = 10

// withFreeSlug runs write with a slug from pick, inside a savepoint, until
// write does not collide on groups_slug_key: two creates of the same name at
// once both pick "name", the second waits for the first, fails, and picks
// again, seeing the first one's slug this time.
func withFreeSlug(ctx context.Context, tx *sqlx.Tx, pick func() (string, error), write func(slug string) error) error {
	for range maxSlugAttempts {
		slug, err := pick()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT group_slug`); err != nil {
			return err
		}
		err = write(slug)
		if uniqueViolation(err, "groups_slug_key") {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT group_slug`); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT group_slug`); err != nil {
			return err
		}
		return nil
	}
	return errors.New("no free slug after repeated collisions")
}

// pickSlug returns the slug a group named name with privacy should get now:
// a random one for a secret group, otherwise Slugify(name) or, when a live
// group (other than exceptID) has that or it names a page, the first free
// "-2", "-3"…
func pickSlug(ctx context.Context, tx *sqlx.Tx, name string, privacy guildhall.Privacy, exceptID string) (string, error) {
	if privacy == guildhall.Secret {
		return guildhall.RandomSlug(), nil
	}
	base := guildhall.Slugify(name)
	var taken []string
	err := tx.SelectContext(ctx, &taken, `
		SELECT slug FROM groups
		WHERE deleted_at IS NULL AND id IS DISTINCT FROM $3::uuid
			AND (slug = $1 OR slug LIKE $2 ESCAPE '\')`,
		base, escapeLike(base)+"-%", nullIfEmpty(exceptID))
	if err != nil {
		return "", fmt.Errorf("find free slug: %w", err)
	}
	used := make(map[string]bool, len(taken)+1)
	used["new"] = true // /groups/new is the page that creates a group
	for _, t := range taken {
		used[t] = true
	}
	if !used[base] {
		return base, nil
	}
	for n := 2; ; n++ {
		if s := base + "-" + strconv.Itoa(n); !used[s] {
			return s, nil
		}
	}
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// escapeLike makes s match itself literally in a LIKE pattern (ESCAPE '\').
func escapeLike(s string) string { return likeEscaper.Replace(s) }

// UpdateGroup changes the fields of u that are not nil. Site admins and the
// group's admins may (guildhall.CanManageGroup); a privacy change runs its
// consequences for join requests in the same transaction.
func (s *GroupService) UpdateGroup(ctx context.Context, actor guildhall.Actor, id string, u guildhall.GroupUpdate) (*guildhall.Group, error) {
	u.Normalize()
	var out *guildhall.Group
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		before, role, err := lockGroup(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if !guildhall.CanManageGroup(actor, before, role) {
			return guildhall.Forbidden("Only group admins and site admins can change this group.")
		}
		if err := u.Validate(); err != nil {
			return err
		}
		after := applyUpdate(*before, u)
		if after == *before {
			out = before
			return nil
		}
		// A secret group keeps its random slug; a group that turns secret
		// gets one; any other gets a new slug when a rename changes what
		// its name slugifies to ("Foo 2" → "Foo": foo-2 → foo), and keeps
		// it otherwise ("Foo" → "FOO!" keeps foo, or foo-2 after a clash).
		var regenerate bool
		switch {
		case after.Privacy == guildhall.Secret:
			regenerate = before.Privacy != guildhall.Secret
		case before.Privacy == guildhall.Secret:
			regenerate = true
		default:
			regenerate = guildhall.Slugify(after.Name) != guildhall.Slugify(before.Name)
		}
		write := func(slug string) error {
			after.Slug = slug
			var err error
			out, err = updateGroupRow(ctx, tx, after)
			return err
		}
		if regenerate {
			err = withFreeSlug(ctx, tx, func() (string, error) {
				return pickSlug(ctx, tx, after.Name, after.Privacy, after.ID)
			}, write)
		} else {
			err = write(before.Slug)
		}
		if err != nil {
			return err
		}
		if out.Slug != before.Slug {
			if err := recordOldSlug(ctx, tx, before.ID, before.Slug, out.Slug); err != nil {
				return err
			}
		}
		if out.Privacy != before.Privacy {
			if err := onPrivacyChange(ctx, tx, actor, before, out, u.ExpectDecided); err != nil {
				return err
			}
		}
		b, a := groupChanges(before, out)
		err = writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionGroupUpdated,
			TargetType: guildhall.TargetGroup, TargetID: out.ID, TargetName: out.Name, Before: b, After: a,
		})
		if err != nil || out.Privacy == before.Privacy {
			return err
		}
		return writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionGroupPrivacyChanged,
			TargetType: guildhall.TargetGroup, TargetID: out.ID, TargetName: out.Name,
			Before: map[string]any{"privacy": before.Privacy}, After: map[string]any{"privacy": out.Privacy},
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// applyUpdate returns g with the fields u gives.
func applyUpdate(g guildhall.Group, u guildhall.GroupUpdate) guildhall.Group {
	if u.Name != nil {
		g.Name = *u.Name
	}
	if u.Description != nil {
		g.Description = *u.Description
	}
	if u.Privacy != nil {
		g.Privacy = *u.Privacy
	}
	if u.MembersCanApprove != nil {
		g.MembersCanApprove = *u.MembersCanApprove
	}
	if u.MembersCanInvite != nil {
		g.MembersCanInvite = *u.MembersCanInvite
	}
	if u.ShowMemberList != nil {
		g.ShowMemberList = *u.ShowMemberList
	}
	return g
}

// updateGroupRow writes g's editable fields and slug, and marks it active.
func updateGroupRow(ctx context.Context, tx *sqlx.Tx, g guildhall.Group) (*guildhall.Group, error) {
	var out guildhall.Group
	err := tx.GetContext(ctx, &out, `
		UPDATE groups AS g SET name = $2, slug = $3, description = $4, privacy = $5,
			members_can_approve = $6, members_can_invite = $7, show_member_list = $8,
			updated_at = now(), last_activity_at = now()
		WHERE g.id = $1
		RETURNING `+groupColumns,
		g.ID, g.Name, g.Slug, g.Description, g.Privacy, g.MembersCanApprove, g.MembersCanInvite, g.ShowMemberList)
	if err != nil {
		return nil, fmt.Errorf("update group: %w", err)
	}
	return &out, nil
}

// recordOldSlug keeps the slug a group leaves so old links still lead to it,
// and forgets the one it takes back, if it had it before.
func recordOldSlug(ctx context.Context, tx *sqlx.Tx, groupID, oldSlug, newSlug string) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO group_old_slugs (slug, group_id) VALUES ($1, $2)
		ON CONFLICT (slug, group_id) DO UPDATE SET created_at = now()`, oldSlug, groupID)
	if err != nil {
		return fmt.Errorf("record old slug: %w", err)
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM group_old_slugs WHERE slug = $1 AND group_id = $2`, newSlug, groupID)
	if err != nil {
		return fmt.Errorf("forget old slug: %w", err)
	}
	return nil
}

// groupChanges returns the before and after of the fields that changed, with
// the name always in both, for the audit log.
func groupChanges(b, a *guildhall.Group) (before, after map[string]any) {
	before, after = map[string]any{"name": b.Name}, map[string]any{"name": a.Name}
	add := func(key string, x, y any) {
		if x != y {
			before[key], after[key] = x, y
		}
	}
	add("slug", b.Slug, a.Slug)
	add("description", b.Description, a.Description)
	add("privacy", b.Privacy, a.Privacy)
	add("membersCanApprove", b.MembersCanApprove, a.MembersCanApprove)
	add("membersCanInvite", b.MembersCanInvite, a.MembersCanInvite)
	add("showMemberList", b.ShowMemberList, a.ShowMemberList)
	return before, after
}

// DeleteGroup hides the group everywhere (a soft delete, so the audit log
// keeps its name), frees its slug and ends its pending join requests. The
// same people may delete as may update. It returns the group as it was.
func (s *GroupService) DeleteGroup(ctx context.Context, actor guildhall.Actor, id string) (*guildhall.Group, error) {
	var out *guildhall.Group
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		g, role, err := lockGroup(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if !guildhall.CanManageGroup(actor, g, role) {
			return guildhall.Forbidden("Only group admins and site admins can delete this group.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE groups SET deleted_at = now() WHERE id = $1`, g.ID); err != nil {
			return fmt.Errorf("delete group: %w", err)
		}
		if err := onGroupDeleted(ctx, tx, actor, g); err != nil {
			return err
		}
		out = g
		return writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionGroupDeleted,
			TargetType: guildhall.TargetGroup, TargetID: g.ID, TargetName: g.Name,
			Before: map[string]any{"name": g.Name, "privacy": g.Privacy, "slug": g.Slug},
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sortColumns is the fixed map from a sortable field to its SQL expression
// and the type its cursor value is cast back to; each expression leads one
// of the (expression, id) indexes of migration 00002.
var sortColumns = map[guildhall.GroupField]struct{ expr, typ string }{
	guildhall.FieldName:             {"lower(g.name)", "text"},
	guildhall.FieldCreatedDate:      {"g.created_at", "timestamptz"},
	guildhall.FieldMembersCount:     {"g.members_count", "integer"},
	guildhall.FieldLastActivityDate: {"g.last_activity_at", "timestamptz"},
}

// filterColumns is the fixed map from a filterable field to its SQL
// expression; name compares lowercased on both sides.
var filterColumns = map[guildhall.GroupField]string{
	guildhall.FieldName:             "lower(g.name)",
	guildhall.FieldPrivacy:          "g.privacy",
	guildhall.FieldMembersCount:     "g.members_count",
	guildhall.FieldCreatedDate:      "g.created_at",
	guildhall.FieldLastActivityDate: "g.last_activity_at",
}

// compareOps is the fixed map from an operator to its SQL comparison.
var compareOps = map[guildhall.Op]string{
	guildhall.OpEq: "=", guildhall.OpNe: "<>",
	guildhall.OpGt: ">", guildhall.OpGte: ">=", guildhall.OpLt: "<", guildhall.OpLte: "<=",
}

// sqlArgs collects query arguments and hands out their placeholders.
type sqlArgs []any

func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// compileCondition turns one validated condition into SQL over groups g,
// every value a placeholder.
func compileCondition(c guildhall.Condition, args *sqlArgs) (string, error) {
	col, ok := filterColumns[c.Field]
	if !ok {
		return "", fmt.Errorf("no column for field %q", c.Field)
	}
	name := c.Field == guildhall.FieldName
	switch c.Op {
	case guildhall.OpStartsWith:
		return col + ` LIKE lower(` + args.add(escapeLike(fmt.Sprint(c.Value))+"%") + `) ESCAPE '\'`, nil
	case guildhall.OpContains:
		return col + ` LIKE lower(` + args.add("%"+escapeLike(fmt.Sprint(c.Value))+"%") + `) ESCAPE '\'`, nil
	case guildhall.OpIn:
		list, _ := c.Value.([]any)
		if name || c.Field == guildhall.FieldPrivacy {
			values := make([]string, len(list))
			for i, v := range list {
				values[i] = fmt.Sprint(v)
			}
			p := args.add(pq.Array(values))
			if name {
				return col + ` = ANY (ARRAY(SELECT lower(v) FROM unnest(` + p + `::text[]) AS v))`, nil
			}
			return col + ` = ANY (` + p + `::text[])`, nil
		}
		return "", fmt.Errorf("$in is not supported on %q", c.Field)
	}
	op, ok := compareOps[c.Op]
	if !ok {
		return "", fmt.Errorf("no SQL for operator %q", c.Op)
	}
	v := c.Value
	if p, ok := v.(guildhall.Privacy); ok {
		v = string(p)
	}
	if name {
		return col + " " + op + " lower(" + args.add(v) + ")", nil
	}
	return col + " " + op + " " + args.add(v), nil
}

// groupCursor is where cursor paging continues: the sort it belongs to, the
// sort value (as text, cast back with the sort's type) and the id of the row.
type groupCursor struct {
	Field guildhall.GroupField `json:"f"`
	Desc  bool                 `json:"d"`
	Key   string               `json:"k"`
	ID    string               `json:"i"`
}

func (c groupCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor made by encode for the sort s.
func decodeCursor(s string, sort guildhall.Sort) (groupCursor, error) {
	var c groupCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	var v guildhall.Validator
	switch {
	case err != nil || !isUUID(c.ID):
		v.Add("cursor", "The cursor is not one this server gave out.")
	case c.Field != sort.Field || c.Desc != sort.Desc:
		v.Add("cursor", "The cursor belongs to a different sort; start again without one.")
	}
	return c, v.Err()
}

// groupRow is a GroupView with its sort value, from which cursors are made.
type groupRow struct {
	guildhall.GroupView
	SortKey string `db:"sort_key"`
}

// QueryGroups filters, sorts and pages the groups actor may see. Offset
// paging reports Total; cursor paging (q.Cursor) does not count, so it stays
// cheap on any page. Both set Next and Prev when there is more that way.
func (s *GroupService) QueryGroups(ctx context.Context, actor guildhall.Actor, q guildhall.GroupQuery) (*guildhall.Page[guildhall.GroupView], error) {
	if err := q.Validate(""); err != nil {
		return nil, err
	}
	sortCol := sortColumns[q.Sort.Field]
	var cursor *groupCursor
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, q.Sort)
		if err != nil {
			return nil, err
		}
		cursor = &c
	}

	args := sqlArgs(viewerArgs(actor))
	where := []string{groupVisible}
	for _, c := range q.Conditions {
		clause, err := compileCondition(c, &args)
		if err != nil {
			return nil, fmt.Errorf("query groups: %w", err)
		}
		where = append(where, clause)
	}
	filter := strings.Join(where, " AND ")

	page := &guildhall.Page[guildhall.GroupView]{Items: []guildhall.GroupView{}, Offset: q.Offset, Limit: q.Limit}

	// Backward paging reads the other way from the cursor, then reverses.
	desc := q.Sort.Desc != (cursor != nil && q.Backward)
	dir, cmp := "ASC", ">"
	if desc {
		dir, cmp = "DESC", "<"
	}
	rowsArgs := slices.Clone(args)
	keyset := ""
	if cursor != nil {
		keyset = fmt.Sprintf(" AND (%s, g.id) %s (%s::%s, %s::uuid)",
			sortCol.expr, cmp, rowsArgs.add(cursor.Key), sortCol.typ, rowsArgs.add(cursor.ID))
	}
	limit := q.Limit
	if cursor != nil {
		limit++ // one more tells whether there is a further page
	}
	paging := " LIMIT " + rowsArgs.add(limit)
	if cursor == nil {
		paging += " OFFSET " + rowsArgs.add(q.Offset)
	}
	var rows []groupRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+sortCol.expr+`::text AS sort_key, `+groupViewColumns+groupViewJoins+`
		WHERE `+filter+keyset+`
		ORDER BY `+sortCol.expr+` `+dir+`, g.id `+dir+paging, rowsArgs...)
	if err != nil {
		return nil, fmt.Errorf("query groups: %w", err)
	}

	// Offset paging reports the total. A page that is not full, and not
	// past the end, is the last one: the total is known without counting.
	if cursor == nil {
		if len(rows) < q.Limit && (len(rows) > 0 || q.Offset == 0) {
			page.Total = q.Offset + len(rows)
		} else {
			err := s.db.GetContext(ctx, &page.Total, `
				SELECT count(*) FROM groups g
				LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid
				WHERE `+filter, args...)
			if err != nil {
				return nil, fmt.Errorf("count groups: %w", err)
			}
		}
	}

	more := len(rows) > q.Limit
	if more {
		rows = rows[:q.Limit]
	}
	var hasNext, hasPrev bool
	switch {
	case cursor == nil:
		hasNext, hasPrev = q.Offset+len(rows) < page.Total, q.Offset > 0
	case q.Backward:
		slices.Reverse(rows)
		hasNext, hasPrev = true, more
	default:
		hasNext, hasPrev = more, true
	}
	for _, r := range rows {
		page.Items = append(page.Items, r.GroupView)
	}
	if n := len(rows); n > 0 {
		at := func(r groupRow) string {
			return groupCursor{Field: q.Sort.Field, Desc: q.Sort.Desc, Key: r.SortKey, ID: r.ID}.encode()
		}
		if hasNext {
			page.Next = at(rows[n-1])
		}
		if hasPrev {
			page.Prev = at(rows[0])
		}
	}
	return page, nil
}
