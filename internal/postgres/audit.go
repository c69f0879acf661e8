package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/riverqueue/river"

	"guildhall/internal/guildhall"
	"guildhall/internal/jobs"
	"guildhall/internal/webhooks"
)

// writeAudit records a change inside the transaction that makes it, so the
// log never says more or less than what happened. When the action raises an
// event, the event and its webhook deliveries are recorded in the same
// write: a change that rolls back leaves neither, one that commits has both.
func writeAudit(ctx context.Context, tx *sqlx.Tx, r guildhall.AuditRecord) error {
	before, err := jsonOrNull(r.Before)
	if err != nil {
		return err
	}
	after, err := jsonOrNull(r.After)
	if err != nil {
		return err
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO audit_log (actor_id, actor_name, action, target_type, target_id, target_name, before, after)
		VALUES (NULLIF($1, '')::uuid, $2, $3, $4, $5, $6, $7, $8)
		RETURNING id`,
		r.ActorID, r.ActorName, r.Action, r.TargetType, r.TargetID, r.TargetName, before, after)
	if err != nil {
		return fmt.Errorf("write audit %s: %w", r.Action, err)
	}
	if r.Subject == nil {
		return nil
	}
	return recordEvents(ctx, tx, eventsOf(r, id))
}

// eventsOf are the events audit entry id of r raises.
func eventsOf(r guildhall.AuditRecord, id int64) []newEvent {
	var evs []newEvent
	for _, t := range guildhall.EventsOf(r.Action) {
		evs = append(evs, newEvent{Type: t, ActorID: r.ActorID, ActorName: r.ActorName, AuditID: id, Subject: *r.Subject})
	}
	return evs
}

// newEvent is an event to record.
type newEvent struct {
	Type      string
	ActorID   string
	ActorName string
	AuditID   int64
	Subject   guildhall.EventSubject
}

// groupID is the group whose endpoints hear of the event ("" for none).
func (e *newEvent) groupID() string {
	switch {
	case e.Subject.Group != nil:
		return e.Subject.Group.ID
	case e.Subject.JoinRequest != nil:
		return e.Subject.JoinRequest.GroupID
	case e.Subject.Member != nil:
		return e.Subject.Member.GroupID
	}
	return ""
}

// recordEvents writes events in one statement and enqueues, in the same
// transaction, a delivery job for every enabled endpoint that subscribes to
// each: the site's endpoints hear of everything, a group's of its own
// group's events. It is the one place events are written.
func recordEvents(ctx context.Context, tx *sqlx.Tx, evs []newEvent) error {
	if len(evs) == 0 {
		return nil
	}
	types := make([]string, len(evs))
	actors := make([]string, len(evs))
	names := make([]string, len(evs))
	audits := make([]int64, len(evs))
	groups := make([]string, len(evs))
	subjects := make([]string, len(evs))
	for i := range evs {
		doc, err := json.Marshal(evs[i].Subject)
		if err != nil {
			return fmt.Errorf("event subject: %w", err)
		}
		types[i], actors[i], names[i], audits[i], groups[i], subjects[i] =
			evs[i].Type, evs[i].ActorID, evs[i].ActorName, evs[i].AuditID, evs[i].groupID(), string(doc)
	}
	var targets []webhooks.DeliverArgs
	err := tx.SelectContext(ctx, &targets, `
		WITH e AS (
			INSERT INTO events (type, actor_id, actor_name, audit_id, group_id, subject)
			SELECT t, NULLIF(a, '')::uuid, n, NULLIF(au, 0), NULLIF(g, '')::uuid, s::jsonb
			FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[]) AS x(t, a, n, au, g, s)
			RETURNING id, type, group_id
		)
		SELECT e.id AS "eventid", w.id AS "webhookid"
		FROM e JOIN webhooks w ON w.enabled
			AND (w.group_id IS NULL OR w.group_id = e.group_id)
			AND (e.type = ANY (w.event_types) OR '*' = ANY (w.event_types))`,
		pq.Array(types), pq.Array(actors), pq.Array(names), pq.Array(audits), pq.Array(groups), pq.Array(subjects))
	if err != nil {
		return fmt.Errorf("record events: %w", err)
	}
	return enqueueDeliveries(ctx, tx, targets)
}

// enqueueDeliveries enqueues one delivery job per event and endpoint.
func enqueueDeliveries(ctx context.Context, tx *sqlx.Tx, targets []webhooks.DeliverArgs) error {
	params := make([]river.InsertManyParams, len(targets))
	for i, t := range targets {
		params[i] = river.InsertManyParams{Args: t}
	}
	_, err := jobs.InsertManyTx(ctx, tx, params)
	return err
}

// changesOf pairs a group.updated's before and after fields; the name is
// always in both and left out unless it changed.
func changesOf(before, after map[string]any) map[string]guildhall.Change {
	out := map[string]guildhall.Change{}
	for k, to := range after {
		if from := before[k]; k != "name" || from != to {
			out[k] = guildhall.Change{From: from, To: to}
		}
	}
	return out
}

// groupsByID reads the groups of join requests in one query, for their
// events (which show each request's group whole).
func groupsByID(ctx context.Context, tx *sqlx.Tx, rows []joinRequestRow) (map[string]*guildhall.Group, error) {
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].GroupID
	}
	var groups []guildhall.Group
	if err := tx.SelectContext(ctx, &groups, `SELECT `+groupColumns+` FROM groups g WHERE g.id = ANY ($1)`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("read groups of requests: %w", err)
	}
	out := make(map[string]*guildhall.Group, len(groups))
	for i := range groups {
		out[groups[i].ID] = &groups[i]
	}
	return out, nil
}

// subjectUnless is s, or nil when told is true (the event was raised by
// another audit entry of the same change).
func subjectUnless(told bool, s *guildhall.EventSubject) *guildhall.EventSubject {
	if told {
		return nil
	}
	return s
}

func jsonOrNull(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// actorName is how the audit log names an actor.
func actorName(a guildhall.Actor) string {
	if a.DisplayName == "" && a.Elevated {
		return "An elevated API token"
	}
	return a.DisplayName
}
