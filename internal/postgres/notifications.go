package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"guildhall/internal/guildhall"
)

// NotificationService implements guildhall.NotificationService: a person
// reads and marks their own notifications. The notifications themselves are
// written by the other services, inside the transactions of the changes they
// report (notify below), so a notification never tells of a change that
// rolled back, and never goes missing for one that committed.
type NotificationService struct{ db *DB }

// NewNotificationService returns the notification service.
func NewNotificationService(db *DB) *NotificationService { return &NotificationService{db: db} }

var _ guildhall.NotificationService = (*NotificationService)(nil)

// newNotification is one notification to write to several recipients.
type newNotification struct {
	Kind guildhall.NotificationKind
	// Batch merges it into the recipient's unread notification of the same
	// kind (and group), raising its count, instead of adding a row.
	Batch     bool
	GroupID   string
	GroupName string
	Status    guildhall.Status
	Reason    string
	// Count is how many items it reports (1 when zero).
	Count int
	// At, when not zero, dates it (created and updated) at the change it
	// reports rather than at now(): a fan-out job writes it a moment
	// after the change (EndedRequestsFanOut).
	At time.Time
}

// notified is a notification notify wrote that its recipient wants by
// email at once (AtOnce; Inserted, a new row rather than a grown batch,
// is then always true).
type notified struct {
	AccountID string `db:"account_id"`
	ID        string `db:"id"`
	Inserted  bool   `db:"inserted"`
	// AtOnce: the recipient wants it by email now (always false while
	// email is off).
	AtOnce bool `db:"at_once"`
}

// notify writes n to each of recipients in one statement, together with
// their unread counters (raised only by new rows, not by a batch growing).
// While email is on it also follows each recipient's choice for the
// kind's topic: a new notification they want at once is queued as an
// email job in this transaction; one for the digest (or a batch that grew
// after its first email) is marked for the next daily digest. It returns
// only the notifications emailed at once: a privacy change notifies
// 10,000 requesters, and nothing else reads the rest.
func (db *DB) notify(ctx context.Context, tx *sqlx.Tx, n newNotification, recipients []string) ([]notified, error) {
	if len(recipients) == 0 {
		return nil, nil
	}
	return db.notifyFrom(ctx, tx, n, recipientsFrom, pq.Array(recipients))
}

// recipientsFrom is notify's query of recipients, for notifyFrom.
const recipientsFrom = `SELECT DISTINCT r FROM unnest($1::uuid[]) AS r`

// notifyFrom is notify for the recipients the query from selects (one
// column, each recipient once) with arg as its $1; it may also read n's
// fields as $6 (status) and $4 (the group id, as text: from reads it as
// the statement does, NULLIF with the empty string cast to uuid, since a
// parameter has one type). A set-based change names its recipients this
// way instead of sending thousands of ids back and forth.
func (db *DB) notifyFrom(ctx context.Context, tx *sqlx.Tx, n newNotification, from string, arg any) ([]notified, error) {
	var batchKey any
	if n.Batch {
		batchKey = string(n.Kind) + ":" + n.GroupID
	}
	count := max(n.Count, 1)
	var at any
	if !n.At.IsZero() {
		at = n.At
	}
	var out []notified
	err := db.selectTx(ctx, tx, &out, notifySQL(n.Batch, from),
		arg, n.Kind, batchKey, n.GroupID, n.GroupName, n.Status, n.Reason, count, db.Mail, n.Kind.Topic(), at)
	if err != nil {
		return nil, fmt.Errorf("notify %s: %w", n.Kind, err)
	}
	return out, db.queueEmails(ctx, tx, out)
}

// notifySQL is notifyFrom's statement, for batched notifications or not,
// reading the recipients from the query from.
func notifySQL(batch bool, from string) string {
	// A notification that is never merged (no batch key) cannot conflict:
	// it is inserted plainly, without the speculative insertion ON
	// CONFLICT costs every row (a privacy change writes 10,000 of them).
	merge, inserted := "", "true"
	if batch {
		merge, inserted = `ON CONFLICT (account_id, batch_key) WHERE read_at IS NULL AND batch_key IS NOT NULL
			DO UPDATE SET count = n.count + EXCLUDED.count, updated_at = now(), group_name = EXCLUDED.group_name,
				digest_due = n.digest_due OR ($9::boolean AND COALESCE((SELECT p.mode FROM email_preferences p
					WHERE p.account_id = n.account_id AND p.topic = $10), 'AT_ONCE') <> 'OFF')`, `(n.xmax = 0)`
	}
	return `
		WITH w AS (
			INSERT INTO notifications AS n (account_id, kind, batch_key, group_id, group_name, status, reason, count, digest_due,
				created_at, updated_at)
			SELECT r, $2::text, $3::text, NULLIF($4, '')::uuid, $5::text, $6::text, $7::text, $8::int,
				$9::boolean AND COALESCE(p.mode, 'AT_ONCE') = 'DIGEST',
				COALESCE($11::timestamptz, now()), COALESCE($11::timestamptz, now())
			FROM (` + from + `) AS x(r) LEFT JOIN email_preferences p ON p.account_id = r AND p.topic = $10
			` + merge + `
			RETURNING n.account_id, n.id, ` + inserted + ` AS inserted, n.digest_due
		), c AS (
			INSERT INTO notification_counts (account_id, unread)
			SELECT account_id, 1 FROM w WHERE inserted
			ON CONFLICT (account_id) DO UPDATE SET unread = notification_counts.unread + 1
		)
		SELECT w.account_id, w.id, w.inserted, true AS at_once
		FROM w LEFT JOIN email_preferences p ON p.account_id = w.account_id AND p.topic = $10
		WHERE $9::boolean AND w.inserted AND NOT w.digest_due AND COALESCE(p.mode, 'AT_ONCE') = 'AT_ONCE'`
}

// notifyOne writes n to one recipient.
func (db *DB) notifyOne(ctx context.Context, tx *sqlx.Tx, n newNotification, accountID string) error {
	_, err := db.notify(ctx, tx, n, []string{accountID})
	return err
}

// deciders returns who decides g's join requests and hears of new ones:
// its admins, and its members when they may approve. Site admins, who may
// decide every group, are not told of every request on the site; they
// hear of those that waited too long (escalation).
func deciders(ctx context.Context, tx *sqlx.Tx, groupIDs []string, except string) ([]string, error) {
	var ids []string
	err := tx.SelectContext(ctx, &ids, `
		SELECT DISTINCT m.account_id FROM group_members m JOIN groups g ON g.id = m.group_id
		WHERE m.group_id = ANY($1::uuid[]) AND g.deleted_at IS NULL
			AND (m.role = 'ADMIN' OR g.members_can_approve) AND m.account_id <> $2::uuid`,
		pq.Array(groupIDs), except)
	if err != nil {
		return nil, fmt.Errorf("read deciders: %w", err)
	}
	return ids, nil
}

// siteAdmins returns every site admin's account id.
func siteAdmins(ctx context.Context, tx *sqlx.Tx) ([]string, error) {
	var ids []string
	if err := tx.SelectContext(ctx, &ids, `SELECT id FROM accounts WHERE site_admin`); err != nil {
		return nil, fmt.Errorf("read site admins: %w", err)
	}
	return ids, nil
}

// notifyNewJoinRequest tells g's deciders that r waits, one unread
// notification per group and decider however many arrive.
func (db *DB) notifyNewJoinRequest(ctx context.Context, tx *sqlx.Tx, g *guildhall.Group, r *guildhall.JoinRequest) error {
	to, err := deciders(ctx, tx, []string{g.ID}, r.AccountID)
	if err != nil {
		return err
	}
	_, err = db.notify(ctx, tx, newNotification{Kind: guildhall.NewJoinRequests, Batch: true, GroupID: g.ID, GroupName: g.Name}, to)
	return err
}

// notifyJoinDecision tells the requester of r what became of it and why.
func (db *DB) notifyJoinDecision(ctx context.Context, tx *sqlx.Tx, g *guildhall.Group, r *guildhall.JoinRequest) error {
	return db.notifyOne(ctx, tx, newNotification{Kind: guildhall.JoinRequestDecided, GroupID: g.ID, GroupName: g.Name,
		Status: r.Status, Reason: r.RejectionReason}, r.AccountID)
}

// notifyAdded tells accountID that actor added them to g.
func (db *DB) notifyAdded(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group, accountID string) error {
	if accountID == actor.ID {
		return nil
	}
	return db.notifyOne(ctx, tx, newNotification{Kind: guildhall.AddedToGroup, GroupID: g.ID, GroupName: g.Name}, accountID)
}

// notifyCreateDecision tells the requester of c what became of it.
func (db *DB) notifyCreateDecision(ctx context.Context, tx *sqlx.Tx, c *guildhall.CreateRequest) error {
	return db.notifyOne(ctx, tx, newNotification{Kind: guildhall.CreateRequestDecided, GroupID: orEmpty(c.GroupID), GroupName: c.Name,
		Status: c.Status, Reason: c.RejectionReason}, c.RequesterID)
}

// notifyNewCreateRequest tells the site admins that a creation waits, one
// unread notification each however many arrive.
func (db *DB) notifyNewCreateRequest(ctx context.Context, tx *sqlx.Tx) error {
	to, err := siteAdmins(ctx, tx)
	if err != nil {
		return err
	}
	_, err = db.notify(ctx, tx, newNotification{Kind: guildhall.NewCreateRequests, Batch: true}, to)
	return err
}

// notificationGroupVisible is guildhall.CanSeeGroup in SQL for the
// recipient ($1; $2 is whether they are a site admin) and group g.
const notificationGroupVisible = `g.deleted_at IS NULL AND ($2::boolean OR g.privacy <> 'SECRET'
		OR EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.account_id = $1))`

// notificationColumns reads guildhall.Notification from notifications n
// and its group g; the group's id and slug only while the recipient may
// still see the group, so a group turned secret is neither named by id nor
// linked (the message keeps the name they knew).
const notificationColumns = `n.id, n.account_id, n.kind,
	CASE WHEN ` + notificationGroupVisible + ` THEN n.group_id END AS group_id, n.group_name,
	COALESCE(CASE WHEN ` + notificationGroupVisible + ` THEN g.slug END, '') AS group_slug,
	n.status, n.reason, n.count, n.created_at, n.updated_at, n.read_at`

// Notifications pages the actor's notifications, most recently changed first.
func (s *NotificationService) Notifications(ctx context.Context, actor guildhall.Actor, q guildhall.NotificationQuery) (*guildhall.Page[guildhall.Notification], error) {
	if actor.ID == "" {
		return nil, guildhall.Unauthenticated("Sign in to see your notifications.")
	}
	limit, err := checkPage(q.Limit, q.Offset)
	if err != nil {
		return nil, err
	}
	page := &guildhall.Page[guildhall.Notification]{Items: []guildhall.Notification{}, Limit: limit, Offset: q.Offset}
	err = s.db.GetContext(ctx, &page.Total, `
		SELECT count(*) FROM notifications n WHERE n.account_id = $1 AND (NOT $2::boolean OR n.read_at IS NULL)`,
		actor.ID, q.UnreadOnly)
	if err != nil {
		return nil, fmt.Errorf("count notifications: %w", err)
	}
	err = s.db.SelectContext(ctx, &page.Items, `
		SELECT `+notificationColumns+`
		FROM notifications n LEFT JOIN groups g ON g.id = n.group_id
		WHERE n.account_id = $1 AND (NOT $3::boolean OR n.read_at IS NULL)
		ORDER BY n.updated_at DESC, n.id DESC
		LIMIT $4 OFFSET $5`, actor.ID, actor.SiteAdmin, q.UnreadOnly, limit, q.Offset)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return page, nil
}

// UnreadCount reads the actor's unread counter.
func (s *NotificationService) UnreadCount(ctx context.Context, actor guildhall.Actor) (int, error) {
	if actor.ID == "" {
		return 0, nil
	}
	var n int
	err := s.db.GetContext(ctx, &n, `
		SELECT COALESCE((SELECT unread FROM notification_counts WHERE account_id = $1), 0)`, actor.ID)
	if err != nil {
		return 0, fmt.Errorf("count unread notifications: %w", err)
	}
	return n, nil
}

// MarkRead marks the actor's notifications ids read (all unread ones when
// ids is nil) and lowers the counter by as many, in one transaction. Ids
// that are not the actor's, or already read, are left alone.
func (s *NotificationService) MarkRead(ctx context.Context, actor guildhall.Actor, ids []string) (int, error) {
	if actor.ID == "" {
		return 0, guildhall.Unauthenticated("Sign in to see your notifications.")
	}
	var v guildhall.Validator
	for i, id := range ids {
		v.Check(isUUID(id), fmt.Sprintf("ids[%d]", i), "Must be a notification id.")
	}
	guildhall.CheckBulk(&v, "ids", len(ids))
	if err := v.Err(); err != nil {
		return 0, err
	}
	all := ids == nil
	if ids == nil {
		ids = []string{}
	}
	var n int
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &n, `
			WITH marked AS (
				UPDATE notifications SET read_at = now()
				WHERE account_id = $1 AND read_at IS NULL AND ($2::boolean OR id = ANY($3::uuid[]))
				RETURNING id
			)
			SELECT count(*) FROM marked`, actor.ID, all, pq.Array(ids))
		if err != nil {
			return fmt.Errorf("mark notifications read: %w", err)
		}
		if n == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE notification_counts SET unread = greatest(unread - $2, 0) WHERE account_id = $1`, actor.ID, n)
		if err != nil {
			return fmt.Errorf("lower unread count: %w", err)
		}
		return nil
	})
	return n, err
}
