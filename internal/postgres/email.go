package postgres

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/riverqueue/river"

	"guildhall/internal/guildhall"
	"guildhall/internal/jobs"
)

// NotificationEmail is the job that emails notifications to one person:
// one notification at once, or a day's worth as the digest. It carries ids,
// not text, so the email says what the notifications say when it is sent.
type NotificationEmail struct {
	AccountID       string   `json:"accountId"`
	NotificationIDs []string `json:"notificationIds"`
	Digest          bool     `json:"digest,omitempty"`
}

// Kind names the job in the queue.
func (NotificationEmail) Kind() string { return "notification_email" }

// queueEmails enqueues, in tx, an email job for each notification its
// recipient wants at once.
func (db *DB) queueEmails(ctx context.Context, tx *sqlx.Tx, rows []notified) error {
	var params []river.InsertManyParams
	for _, r := range rows {
		if r.AtOnce {
			params = append(params, river.InsertManyParams{Args: NotificationEmail{AccountID: r.AccountID, NotificationIDs: []string{r.ID}}})
		}
	}
	_, err := jobs.InsertManyTx(ctx, tx, params)
	return err
}

// digestChunk is how many people's digests one transaction queues.
const digestChunk = 100

// QueueDigests queues one digest email per person with notifications
// marked for it, and unmarks them in the same transaction, so each goes
// into one digest. It returns how many digests it queued.
func (s *NotificationService) QueueDigests(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
			var rows []struct {
				AccountID string         `db:"account_id"`
				IDs       pq.StringArray `db:"ids"`
			}
			err := tx.SelectContext(ctx, &rows, `
				WITH picked AS (
					SELECT id, account_id FROM notifications
					WHERE digest_due AND account_id IN (
						SELECT DISTINCT account_id FROM notifications WHERE digest_due LIMIT $1)
					FOR UPDATE SKIP LOCKED
				), cleared AS (
					UPDATE notifications n SET digest_due = false FROM picked WHERE n.id = picked.id
				)
				SELECT account_id, array_agg(id::text ORDER BY id) AS ids FROM picked GROUP BY account_id`, digestChunk)
			if err != nil {
				return fmt.Errorf("pick digests: %w", err)
			}
			params := make([]river.InsertManyParams, len(rows))
			for i, r := range rows {
				params[i] = river.InsertManyParams{Args: NotificationEmail{AccountID: r.AccountID, NotificationIDs: r.IDs, Digest: true}}
			}
			n = len(rows)
			_, err = jobs.InsertManyTx(ctx, tx, params)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < digestChunk {
			return total, nil
		}
	}
}

// EmailContent is what an email job sends: the recipient and their
// notifications, newest first.
type EmailContent struct {
	Email         string
	DisplayName   string
	Notifications []guildhall.Notification
}

// EmailContent reads what job j sends. Notifications deleted meanwhile
// (with their account) are left out; none left means nothing to send.
func (s *NotificationService) EmailContent(ctx context.Context, j NotificationEmail) (*EmailContent, error) {
	var a struct {
		Email       string `db:"email"`
		DisplayName string `db:"display_name"`
		SiteAdmin   bool   `db:"site_admin"`
	}
	err := s.db.GetContext(ctx, &a, `SELECT email, display_name, site_admin FROM accounts WHERE id = $1`, j.AccountID)
	if err != nil {
		return nil, notFound(err, "Account not found.")
	}
	out := &EmailContent{Email: a.Email, DisplayName: a.DisplayName}
	err = s.db.SelectContext(ctx, &out.Notifications, `
		SELECT `+notificationColumns+`
		FROM notifications n LEFT JOIN groups g ON g.id = n.group_id
		WHERE n.account_id = $1 AND n.id = ANY($3::uuid[])
		ORDER BY n.updated_at DESC, n.id DESC`, j.AccountID, a.SiteAdmin, pq.Array(j.NotificationIDs))
	if err != nil {
		return nil, fmt.Errorf("read notifications to email: %w", err)
	}
	return out, nil
}

// EmailPreferences returns the actor's mode for every topic.
func (s *NotificationService) EmailPreferences(ctx context.Context, actor guildhall.Actor) (guildhall.EmailPreferences, error) {
	if actor.ID == "" {
		return nil, guildhall.Unauthenticated("Sign in to see your email preferences.")
	}
	var rows []struct {
		Topic guildhall.EmailTopic `db:"topic"`
		Mode  guildhall.EmailMode  `db:"mode"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT topic, mode FROM email_preferences WHERE account_id = $1`, actor.ID); err != nil {
		return nil, fmt.Errorf("read email preferences: %w", err)
	}
	out := guildhall.EmailPreferences{}
	for _, t := range guildhall.EmailTopics {
		out[t] = guildhall.EmailAtOnce
	}
	for _, r := range rows {
		out[r.Topic] = r.Mode
	}
	return out, nil
}

// SetEmailPreferences stores the modes of the topics given, in one statement.
func (s *NotificationService) SetEmailPreferences(ctx context.Context, actor guildhall.Actor, p guildhall.EmailPreferences) error {
	if actor.ID == "" {
		return guildhall.Unauthenticated("Sign in to change your email preferences.")
	}
	var v guildhall.Validator
	p.Check(&v)
	if err := v.Err(); err != nil {
		return err
	}
	return saveEmailPreferences(ctx, s.db, actor.ID, p)
}

// saveEmailPreferences stores checked preferences in one statement on ex,
// the database or the transaction of a profile change.
func saveEmailPreferences(ctx context.Context, ex sqlx.ExecerContext, accountID string, p guildhall.EmailPreferences) error {
	var topics, modes []string
	for _, t := range guildhall.EmailTopics {
		if m, ok := p[t]; ok {
			topics, modes = append(topics, string(t)), append(modes, string(m))
		}
	}
	_, err := ex.ExecContext(ctx, `
		INSERT INTO email_preferences (account_id, topic, mode)
		SELECT $1, t, m FROM unnest($2::text[], $3::text[]) AS x (t, m)
		ON CONFLICT (account_id, topic) DO UPDATE SET mode = EXCLUDED.mode`, accountID, pq.Array(topics), pq.Array(modes))
	if err != nil {
		return fmt.Errorf("save email preferences: %w", err)
	}
	return nil
}

// Unsubscribe turns topic off for accountID, or every topic when topic is
// empty; an unknown account is not found.
func (s *NotificationService) Unsubscribe(ctx context.Context, accountID string, topic guildhall.EmailTopic) error {
	topics := guildhall.EmailTopics
	if topic != "" {
		if !topic.Valid() {
			return guildhall.NotFound("There is no such kind of email.")
		}
		topics = []guildhall.EmailTopic{topic}
	}
	var exists bool
	if isUUID(accountID) {
		if err := s.db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, accountID); err != nil {
			return fmt.Errorf("read account: %w", err)
		}
	}
	if !exists {
		return guildhall.NotFound("Account not found.")
	}
	p := guildhall.EmailPreferences{}
	for _, t := range topics {
		p[t] = guildhall.EmailOff
	}
	return s.SetEmailPreferences(ctx, guildhall.Actor{Account: guildhall.Account{ID: accountID}}, p)
}

// SigningKey returns the key that signs unsubscribe links, making it
// once for all instances.
func (s *NotificationService) SigningKey(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	var key []byte
	err := s.db.GetContext(ctx, &key, `
		WITH made AS (
			INSERT INTO app_secrets (name, value) VALUES ('unsubscribe', $1)
			ON CONFLICT (name) DO NOTHING RETURNING value
		)
		SELECT value FROM made UNION ALL SELECT value FROM app_secrets WHERE name = 'unsubscribe' LIMIT 1`, fresh)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	return key, nil
}

var _ guildhall.EmailPreferenceService = (*NotificationService)(nil)
