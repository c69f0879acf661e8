package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

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
				After:   map[string]any{"name": g.Name, "privacy": g.Privacy, "slug": g.Slug, "ownerId": g.OwnerID},
				Subject: &guildhall.EventSubject{Group: g},
			})
		}
		r, err := insertCreateRequest(ctx, s.db, tx, actor.ID, in, settings)
		if err != nil {
			return err
		}
		out.Request = r
		return writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionCreateRequestSubmitted,
			TargetType: guildhall.TargetCreateRequest, TargetID: r.ID, TargetName: r.Name,
			After:   map[string]any{"name": r.Name, "privacy": r.Privacy, "status": r.Status},
			Subject: &guildhall.EventSubject{CreateRequest: r},
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
			if err := onPrivacyChange(ctx, s.db, tx, actor, before, out, u.ExpectDecided); err != nil {
				return err
			}
		}
		b, a := groupChanges(before, out)
		err = writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionGroupUpdated,
			TargetType: guildhall.TargetGroup, TargetID: out.ID, TargetName: out.Name, Before: b, After: a,
			Subject: &guildhall.EventSubject{Group: out, Changes: changesOf(b, a)},
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
		if err := onGroupDeleted(ctx, s.db, tx, actor, g); err != nil {
			return err
		}
		out = g
		return writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionGroupDeleted,
			TargetType: guildhall.TargetGroup, TargetID: g.ID, TargetName: g.Name,
			Before:  map[string]any{"name": g.Name, "privacy": g.Privacy, "slug": g.Slug},
			Subject: &guildhall.EventSubject{Group: g},
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
