package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"guildhall/internal/guildhall"
)

// The counts a page shows on every view are read from what migration 00010
// keeps, not counted: group_pending_counts (pending join requests per
// group) and group_privacy_counts (live groups per privacy), both kept by
// triggers in the transaction of every change. Reading them costs what the
// viewer's own groups hold, whatever the site holds.

// inboxCountSQL is the number of pending join requests in the live groups
// that the account $1 may decide (guildhall.CanDecideJoinRequests in SQL,
// as Inbox lists them), for a site admin when $2 is true: the inbox's
// total and the navigation's badge. A site admin decides every group's.
const inboxCountSQL = `CASE WHEN $2::boolean THEN (` + siteInboxCountSQL + `)
	ELSE (` + myInboxCountSQL + `)
	END`

// siteInboxCountSQL is inboxCountSQL for a site admin.
const siteInboxCountSQL = `
		SELECT COALESCE(sum(c.pending), 0)::int FROM group_pending_counts c JOIN groups g ON g.id = c.group_id
		WHERE c.pending <> 0 AND g.deleted_at IS NULL`

// myInboxCountSQL is inboxCountSQL for anyone else.
const myInboxCountSQL = `
		SELECT COALESCE(sum(c.pending), 0)::int FROM group_members m
		JOIN groups g ON g.id = m.group_id
		JOIN group_pending_counts c ON c.group_id = m.group_id
		WHERE m.account_id = $1::uuid AND g.deleted_at IS NULL AND (m.role = 'ADMIN' OR g.members_can_approve)`

// InboxCount counts what Inbox lists, from the kept counts. Each kind of
// viewer has its own statement: with the CASE of inboxCountSQL and $2,
// the generic plan costs both branches and loses to a plan made for each
// call.
func (s *MembershipService) InboxCount(ctx context.Context, actor guildhall.Actor) (int, error) {
	var n int
	var err error
	switch {
	case actor.IsSiteAdmin():
		err = s.db.getPrepared(ctx, &n, siteInboxCountSQL)
	case actor.ID != "":
		err = s.db.getPrepared(ctx, &n, myInboxCountSQL, actor.ID)
	}
	if err != nil {
		return 0, fmt.Errorf("count inbox: %w", err)
	}
	return n, nil
}

// visibleGroupsTotal is how many live groups actor may see, of the given
// privacies (all when empty), from the kept counts: public and private
// groups by their counts; secret ones by the count for a site admin, and
// otherwise by the actor's own live secret groups, which is what
// groupVisible lets through, kept per account (account_secret_group_counts,
// migration 00170).
func visibleGroupsTotal(ctx context.Context, db *DB, actor guildhall.Actor, privacies []guildhall.Privacy) (int, error) {
	var n int
	err := db.getPrepared(ctx, &n, `SELECT `+visibleGroupsTotalSQL(privacies), viewerArgs(actor)...)
	if err != nil {
		return 0, fmt.Errorf("count groups: %w", err)
	}
	return n, nil
}

// visibleGroupsTotalSQL is visibleGroupsTotal's expression for the viewer
// $1 (an account id or NULL), a site admin when $2 is true (viewerArgs), so
// that a directory page can read its total in the statement that reads its
// rows. Which privacies count is written into the SQL (eight texts at most).
// The viewer's own secret groups are one lookup of its kept count: counted,
// they cost an index probe per membership of the viewer (50 for a member
// of 50 groups).
func visibleGroupsTotalSQL(privacies []guildhall.Privacy) string {
	want := func(p guildhall.Privacy) string {
		return strconv.FormatBool(len(privacies) == 0 || slices.Contains(privacies, p))
	}
	return `((SELECT COALESCE(sum(live), 0) FROM group_privacy_counts
			WHERE (privacy = 'PUBLIC' AND ` + want(guildhall.Public) + `) OR (privacy = 'PRIVATE' AND ` + want(guildhall.Private) + `)
				OR (privacy = 'SECRET' AND ` + want(guildhall.Secret) + ` AND $2::boolean))
		+ CASE WHEN ` + want(guildhall.Secret) + ` AND NOT $2::boolean THEN COALESCE((
			SELECT live FROM account_secret_group_counts WHERE account_id = $1::uuid), 0)
		ELSE 0 END)::int`
}
