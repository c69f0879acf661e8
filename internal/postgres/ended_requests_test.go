package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
	"guildhall/internal/webhooks"
)

// The events of requests a privacy change ends are built in SQL; each is
// the document json.Marshal writes for the same request as the API reads
// it, which is what a webhook delivers.
func TestEndedRequestEventsAsGoWritesThem(t *testing.T) {
	for _, to := range []guildhall.Privacy{guildhall.Public, guildhall.Secret} {
		t.Run(string(to), func(t *testing.T) {
			f := newMembershipFixture(t)
			admin := f.person("Ada Admin", siteAdminAccount)
			g := f.group("Hiking Club", guildhall.Private, guildhall.DefaultGroupSettings(), admin)
			qs := f.questions(g, guildhall.QuestionInput{Text: "Why?"})
			f.pending(g, f.person("Ann"), time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC),
				guildhall.Answer{QuestionID: qs[0].ID, Question: "Why?", Text: `Hills "and" <dales> & more`})
			f.pending(g, f.person("Bob"), time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
			cy := f.person("Cy Üñï")
			f.pending(g, cy, time.Date(2025, 12, 31, 23, 59, 59, 999999000, time.UTC))
			f.exec(`UPDATE join_requests SET escalated_at = created_at + interval '1 day 0.000001 s' WHERE account_id = $1`, cy.ID)

			name := "Hiking Club Renamed"
			out, err := f.s.Groups.UpdateGroup(f.ctx, admin, g.ID, guildhall.GroupUpdate{Privacy: &to, Name: &name})
			if err != nil {
				t.Fatal(err)
			}
			if n := f.workFanOuts(); n != 1 {
				t.Fatalf("the change queued %d fan-out jobs, want 1", n)
			}
			for _, got := range f.requestEventsAsGoWritesThem(3) {
				// The group as the change left it (its member count as it
				// was before the approvals, as before).
				wantGroup := *out
				wantGroup.MembersCount = got.Group.MembersCount
				if got.Group == nil || !got.Group.CreatedAt.Equal(out.CreatedAt) || !got.Group.UpdatedAt.Equal(out.UpdatedAt) {
					t.Fatalf("event group %+v, want %+v", got.Group, out)
				}
				wantGroup.CreatedAt, wantGroup.UpdatedAt, wantGroup.LastActivityAt = got.Group.CreatedAt, got.Group.UpdatedAt, got.Group.LastActivityAt
				if *got.Group != wantGroup {
					t.Errorf("event group %+v, want %+v", *got.Group, wantGroup)
				}
			}
		})
	}
}

// A privacy change with many pending requests ends each in the one
// transaction: one audit entry, one event (queued once for each endpoint
// that subscribes) and one notification per request; the decided requests
// keep the name their requesters knew. Refused, it leaves nothing.
func TestPrivacyChangeEndsManyRequestsWhole(t *testing.T) {
	const n = 300
	f := newMembershipFixture(t)
	f.s.Webhooks.SetGuard(&webhooks.Guard{AllowPrivate: true})
	admin := f.person("Ada Admin", siteAdminAccount)
	g := f.group("Busy Club", guildhall.Private, guildhall.DefaultGroupSettings(), admin)
	f.webhook(admin, "https://rejections.example/", g.ID, guildhall.EventTypes[0], "join_request.rejected")
	f.webhook(admin, "https://approvals.example/", "", "join_request.approved")
	f.exec(`
		WITH a AS (
			INSERT INTO accounts (email, display_name, password_hash)
			SELECT 'many-' || i || '@example.com', 'Many ' || i, 'not a hash' FROM generate_series(1, $2::int) i
			RETURNING id
		)
		INSERT INTO join_requests (group_id, account_id) SELECT $1, id FROM a`, g.ID, n)
	// One already decided, under the name the group had then.
	old := f.person("Old Requester")
	f.pending(g, old, epoch)
	f.exec(`UPDATE join_requests SET status = 'REJECTED', known_group_name = 'Quiet Club' WHERE account_id = $1`, old.ID)

	secret := guildhall.Secret
	wrong := n - 1
	_, err := f.s.Groups.UpdateGroup(f.ctx, admin, g.ID, guildhall.GroupUpdate{Privacy: &secret, ExpectDecided: &wrong})
	if !errors.Is(err, guildhall.ErrFailedPrecondition) {
		t.Fatalf("update with a stale count: %v, want refused", err)
	}
	nothing := map[string]string{
		"events":        `SELECT count(*) FROM events`,
		"audit entries": `SELECT count(*) FROM audit_log WHERE target_type = 'join_request'`,
		"notifications": `SELECT count(*) FROM notifications`,
		"deliveries":    `SELECT count(*) FROM river_job`,
		"named":         `SELECT count(*) FROM join_requests WHERE known_group_name = 'Busy Club'`,
	}
	for what, q := range nothing {
		if c := f.count(q); c != 0 {
			t.Errorf("a refused change left %d %s", c, what)
		}
	}
	if c := f.count(`SELECT count(*) FROM join_requests WHERE status = 'PENDING'`); c != n {
		t.Errorf("%d pending after a refused change, want %d", c, n)
	}

	right := n
	if _, err := f.s.Groups.UpdateGroup(f.ctx, admin, g.ID, guildhall.GroupUpdate{Privacy: &secret, ExpectDecided: &right}); err != nil {
		t.Fatal(err)
	}
	f.workFanOuts()
	wantCounts := map[string]string{
		"rejected requests named Busy Club": `SELECT count(*) FROM join_requests
			WHERE status = 'REJECTED' AND rejection_reason = $1 AND known_group_name = 'Busy Club'`,
		"audit entries, one per request": `SELECT count(DISTINCT a.target_id) FROM audit_log a JOIN join_requests r ON r.id::text = a.target_id
			WHERE a.action = 'join_request.rejected' AND r.rejection_reason = $1`,
		"events, one per audit entry": `SELECT count(DISTINCT e.audit_id) FROM events e JOIN audit_log a ON a.id = e.audit_id
			WHERE e.type = 'join_request.rejected' AND a.target_type = 'join_request' AND $1 <> ''`,
		"deliveries, one per event": `SELECT count(DISTINCT j.args->>'eventId') FROM river_job j
			WHERE j.kind = 'webhook_delivery' AND $1 <> ''`,
		"notifications, one per requester": `SELECT count(DISTINCT n.account_id) FROM notifications n
			WHERE n.kind = 'join_request.decided' AND n.status = 'REJECTED' AND n.reason = $1 AND n.group_name = 'Busy Club'`,
		"unread counts": `SELECT count(*) FROM notification_counts WHERE unread = 1 AND $1 <> ''`,
	}
	for what, q := range wantCounts {
		if c := f.count(q, reasonTurnedSecret); c != n {
			t.Errorf("%s: %d, want %d", what, c, n)
		}
	}
	if c := f.count(`SELECT count(*) FROM events`); c != n+1 {
		t.Errorf("%d events, want %d and the group.updated", c, n+1)
	}
	if c := f.count(`SELECT count(*) FROM river_job WHERE kind = 'webhook_delivery'`); c != n {
		t.Errorf("%d deliveries queued, want %d (the approvals endpoint hears of none)", c, n)
	}
	var known string
	if err := f.db.GetContext(f.ctx, &known, `SELECT known_group_name FROM join_requests WHERE account_id = $1`, old.ID); err != nil || known != "Busy Club" {
		t.Errorf("the request decided before is known as %q (%v), want Busy Club", known, err)
	}
	f.wantCountsRight(g)
}

// requestEventsAsGoWritesThem checks that each of the n join request
// events has, as its JoinRequest, json.Marshal of the request as the API
// reads it now, and returns the subjects.
func (f *membershipFixture) requestEventsAsGoWritesThem(n int) []guildhall.EventSubject {
	t := f.t
	t.Helper()
	var evs []struct {
		ID      string `db:"id"`
		Subject []byte `db:"subject"`
		Target  string `db:"target_id"`
	}
	err := f.db.SelectContext(f.ctx, &evs, `
		SELECT e.id, e.subject, a.target_id FROM events e JOIN audit_log a ON a.id = e.audit_id
		WHERE e.type LIKE 'join_request.%' ORDER BY a.id`)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != n {
		t.Fatalf("%d join request events, want %d", len(evs), n)
	}
	var out []guildhall.EventSubject
	for _, ev := range evs {
		var row joinRequestRow
		err := f.db.GetContext(f.ctx, &row, `SELECT `+joinRequestColumns+` FROM join_requests r`+joinRequestFrom+`
			WHERE r.id = $1`, ev.Target)
		if err != nil {
			t.Fatal(err)
		}
		r, err := row.request()
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var same bool
		err = f.db.GetContext(f.ctx, &same, `SELECT subject->'JoinRequest' = $2::jsonb FROM events WHERE id = $1`, ev.ID, string(want))
		if err != nil {
			t.Fatal(err)
		}
		if !same {
			t.Errorf("event of %s's request:\n got %s\nwant JoinRequest %s", r.DisplayName, ev.Subject, want)
		}
		var got guildhall.EventSubject
		if err := json.Unmarshal(ev.Subject, &got); err != nil {
			t.Fatal(err)
		}
		if got.Group == nil {
			t.Fatalf("event of %s's request has no group: %s", r.DisplayName, ev.Subject)
		}
		out = append(out, got)
	}
	return out
}

// Bulk decisions write their audit entries and events in SQL too: each
// event as Go writes it, the group with the members the approvals added,
// a rejection's audit entry with its reason.
func TestBulkDecisionEventsAsGoWritesThem(t *testing.T) {
	f := newMembershipFixture(t)
	admin := f.person("Ada Admin")
	g := f.group("Hiking Club", guildhall.Private, guildhall.DefaultGroupSettings(), admin)
	ann, bob, cy := f.person("Ann"), f.person("Bob"), f.person("Cy")
	for i, a := range []guildhall.Actor{ann, bob, cy} {
		f.pending(g, a, time.Date(2026, 1, 2, 3, 4, 5+i, 120000000, time.UTC))
	}
	if res, err := f.ms.ApproveJoinRequests(f.ctx, admin, g.ID, []string{bob.ID, ann.ID}); err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("approve: %v %+v", err, res)
	}
	res, err := f.ms.RejectJoinRequests(f.ctx, admin, g.ID, []guildhall.MemberRejection{{AccountID: cy.ID, Reason: "Too <loud> & \"proud\""}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("reject: %v %+v", err, res)
	}
	subjects := f.requestEventsAsGoWritesThem(3)
	for i, who := range []string{"Bob", "Ann", "Cy"} {
		if s := subjects[i]; s.JoinRequest.DisplayName != who || s.Group.MembersCount != 3 || s.Group.ID != g.ID {
			t.Errorf("event %d: %s's request in a group of %d, want %s's in a group of 3", i, s.JoinRequest.DisplayName, s.Group.MembersCount, who)
		}
	}
	var after []string
	if err := f.db.SelectContext(f.ctx, &after, `SELECT after::text FROM audit_log WHERE target_type = 'join_request' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	want := []string{`{"status": "APPROVED", "subject": "Bob"}`, `{"status": "APPROVED", "subject": "Ann"}`,
		`{"reason": "Too <loud> & \"proud\"", "status": "REJECTED", "subject": "Cy"}`}
	if !slices.Equal(after, want) {
		t.Errorf("audit after = %q, want %q", after, want)
	}
}

// A requester who became a member while their request waited (added by an
// admin) stays a member once when the group turns public: the request is
// approved, no second membership is tried, the count stays exact.
func TestTurningPublicApprovesARequesterWhoIsAMember(t *testing.T) {
	f := newMembershipFixture(t)
	admin := f.person("Ada Admin")
	g := f.group("Hiking Club", guildhall.Private, guildhall.DefaultGroupSettings(), admin)
	ann, bob := f.person("Ann"), f.person("Bob")
	f.pending(g, ann, epoch)
	f.pending(g, bob, epoch)
	f.member(g, ann, guildhall.RoleMember)
	public := guildhall.Public
	out, err := f.s.Groups.UpdateGroup(f.ctx, admin, g.ID, guildhall.GroupUpdate{Privacy: &public})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []guildhall.Actor{ann, bob} {
		if got := f.statuses(g, a); !slices.Equal(got, []guildhall.Status{guildhall.Approved}) || f.role(g, a) != guildhall.RoleMember {
			t.Errorf("%s: %v, role %s; want approved, a member", a.DisplayName, got, f.role(g, a))
		}
	}
	if out.MembersCount != 3 {
		t.Errorf("members count %d, want 3", out.MembersCount)
	}
	f.wantCountsRight(g)
}

// workFanOuts works every fan-out job the changes so far queued, as the
// job queue's worker does (FanOutEndedRequests), marks each completed as
// River would, and returns how many it worked. A privacy change writes
// each ended request's audit entry, event and notification through one.
func workFanOuts(t testing.TB, ctx context.Context, db *DB) int {
	t.Helper()
	var queued []struct {
		ID   int64  `db:"id"`
		Args []byte `db:"args"`
	}
	err := db.SelectContext(ctx, &queued, `
		SELECT id, args FROM river_job WHERE kind = $1 AND state = 'available' ORDER BY id`, EndedRequestsFanOut{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range queued {
		var args EndedRequestsFanOut
		if err := json.Unmarshal(j.Args, &args); err != nil {
			t.Fatal(err)
		}
		if _, err := NewMembershipService(db).FanOutEndedRequests(ctx, args); err != nil {
			t.Fatalf("fan-out job %d: %v", j.ID, err)
		}
		_, err := db.ExecContext(ctx, `
			UPDATE river_job SET state = 'completed', attempt = attempt + 1, attempted_at = now(), finalized_at = now()
			WHERE id = $1`, j.ID)
		if err != nil {
			t.Fatal(err)
		}
	}
	return len(queued)
}

// workFanOuts works the fan-out jobs queued so far (see workFanOuts).
func (f *membershipFixture) workFanOuts() int {
	f.t.Helper()
	return workFanOuts(f.t, f.ctx, f.db)
}

// The fan-out a privacy change leaves to its job is what the change would
// have written itself: the same audit entries (dated at the change, in the
// requests' order), events (the group as the change left it) with their
// deliveries, and notifications (dated at the change) with their unread
// counts. Two groups alike take the same requests; one changes through
// UpdateGroup and its job, the other through the fan-out written in the
// change's own transaction, as a deletion still does and as every change
// did before.
func TestFanOutLaterWritesWhatTheChangeWould(t *testing.T) {
	for _, to := range []guildhall.Privacy{guildhall.Public, guildhall.Secret} {
		t.Run(string(to), func(t *testing.T) {
			f := newMembershipFixture(t)
			f.s.Webhooks.SetGuard(&webhooks.Guard{AllowPrivate: true})
			admin := f.person("Ada Admin", siteAdminAccount)
			f.webhook(admin, "https://all.example/", "", "*")
			later := f.group("Hiking Club", guildhall.Private, guildhall.DefaultGroupSettings(), admin)
			now := f.group("Hiking Club", guildhall.Private, guildhall.DefaultGroupSettings(), admin)
			for i, name := range []string{"Ann", "Bob", "Cy Üñï", "Dee"} {
				a := f.person(name)
				at := time.Date(2026, 1, 2, 3, 4, 5, i*1000, time.UTC)
				for _, g := range []*guildhall.Group{later, now} {
					f.pending(g, a, at, guildhall.Answer{QuestionID: "q", Question: "Why?", Text: name + ` says "hi"`})
				}
			}
			f.exec(`UPDATE join_requests SET escalated_at = created_at + interval '1 day' WHERE account_id IN (
				SELECT id FROM accounts WHERE display_name = 'Bob')`)

			if _, err := f.s.Groups.UpdateGroup(f.ctx, admin, later.ID, guildhall.GroupUpdate{Privacy: &to}); err != nil {
				t.Fatal(err)
			}
			if n := f.count(`SELECT count(*) FROM audit_log WHERE target_type = 'join_request'`); n != 0 {
				t.Fatalf("the change wrote %d request audit entries itself, want them left to its job", n)
			}
			if n := f.workFanOuts(); n != 1 {
				t.Fatalf("%d fan-out jobs, want 1", n)
			}
			f.changeInOneTransaction(admin, now, to)

			a, b := f.fanOutOf(later), f.fanOutOf(now)
			if len(a) != 4 {
				t.Fatalf("fan-out of the change: %d requests, want 4", len(a))
			}
			if !slices.Equal(a, b) {
				t.Errorf("the job wrote\n%s\nthe change in one transaction wrote\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
			}
			if c := f.count(`SELECT count(*) FROM notification_counts WHERE unread = 2`); c != 4 {
				t.Errorf("%d requesters with 2 unread, want 4", c)
			}
		})
	}
}

// changeInOneTransaction changes g's privacy to "to" as UpdateGroup does,
// but with each ended request's audit entry, event and notification
// written in the change's own transaction.
func (f *membershipFixture) changeInOneTransaction(actor guildhall.Actor, g *guildhall.Group, to guildhall.Privacy) {
	f.t.Helper()
	err := f.db.inTx(f.ctx, func(tx *sqlx.Tx) error {
		before, _, err := lockGroup(f.ctx, tx, actor, g.ID)
		if err != nil {
			return err
		}
		after := *before
		after.Privacy = to
		if to == guildhall.Secret {
			after.Slug = fmt.Sprintf("secret-%d", f.next())
		}
		out, err := updateGroupRow(f.ctx, tx, after)
		if err != nil {
			return err
		}
		e := endRequests{Status: guildhall.Approved, Action: guildhall.ActionJoinRequestApproved,
			Cause: "privacy changed to " + to.Label(), KnownAs: before.Name}
		if to == guildhall.Secret {
			e = endRequests{Status: guildhall.Rejected, Action: guildhall.ActionJoinRequestRejected,
				Cause: "privacy changed to " + to.Label(), Reason: reasonTurnedSecret, Remember: before.Name, KnownAs: before.Name}
		}
		if _, err := endPendingJoinRequests(f.ctx, f.db, tx, actor, out, e); err != nil {
			return err
		}
		return syncMembersCount(f.ctx, tx, out)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// fanOutOf describes, one line per ended request of g by requester, its
// audit entry, event, deliveries and notification, leaving out only what
// names g itself (ids, slug, times of the group row) and dating each row
// against the request's decided_at.
func (f *membershipFixture) fanOutOf(g *guildhall.Group) []string {
	f.t.Helper()
	var out []string
	err := f.db.SelectContext(f.ctx, &out, `
		SELECT jsonb_build_object(
			'requester', ac.display_name, 'known', r.known_group_name,
			'auditRank', rank() OVER (ORDER BY a.id),
			'audit', to_jsonb(a) - 'id' - 'target_id' - 'at', 'auditAtDecision', a.at = r.decided_at,
			'event', e.subject #- '{Group,ID}' #- '{Group,Slug}' #- '{Group,CreatedAt}' #- '{Group,UpdatedAt}'
				#- '{Group,LastActivityAt}' #- '{JoinRequest,ID}' #- '{JoinRequest,GroupID}' #- '{JoinRequest,GroupSlug}'
				#- '{JoinRequest,DecidedAt}',
			'eventRest', jsonb_build_object('type', e.type, 'actor', e.actor_id = r.decided_by OR e.actor_id IS NOT NULL,
				'actorName', e.actor_name, 'group', e.group_id = r.group_id, 'at', e.at = r.decided_at,
				'decidedAt', e.subject->'JoinRequest'->>'DecidedAt' = `+goTime("r.decided_at")+`,
				'request', e.subject->'JoinRequest'->>'ID' = r.id::text, 'groupID', e.subject->'Group'->>'ID' = r.group_id::text),
			'deliveries', (SELECT count(*) FROM river_job j WHERE j.kind = 'webhook_delivery' AND j.args->>'eventId' = e.id::text),
			'notification', to_jsonb(n) - 'id' - 'account_id' - 'group_id' - 'created_at' - 'updated_at',
			'notificationAt', n.created_at = r.decided_at AND n.updated_at = r.decided_at,
			'notificationGroup', n.group_id = r.group_id)::text
		FROM join_requests r
		JOIN accounts ac ON ac.id = r.account_id
		JOIN audit_log a ON a.target_id = r.id::text
		JOIN events e ON e.audit_id = a.id
		JOIN notifications n ON n.account_id = r.account_id AND n.kind = 'join_request.decided'
			AND n.group_id = r.group_id
		WHERE r.group_id = $1
		ORDER BY ac.display_name`, g.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// A fan-out job worked twice, one after the other or both at once, writes
// each audit entry, event, delivery and notification once, and raises
// each unread count once.
func TestFanOutJobTwiceWritesOnce(t *testing.T) {
	const n = 50
	f := newMembershipFixture(t)
	f.s.Webhooks.SetGuard(&webhooks.Guard{AllowPrivate: true})
	admin := f.person("Ada Admin", siteAdminAccount)
	f.webhook(admin, "https://all.example/", "", "*")
	tally := map[string]string{
		"audit entries": `SELECT count(*) FROM audit_log WHERE target_type = 'join_request'`,
		"events":        `SELECT count(*) FROM events WHERE type LIKE 'join_request.%'`,
		"deliveries": `SELECT count(*) FROM river_job j JOIN events e ON e.id::text = j.args->>'eventId'
			WHERE j.kind = 'webhook_delivery' AND e.type LIKE 'join_request.%'`,
		"notifications": `SELECT count(*) FROM notifications WHERE kind = 'join_request.decided'`,
		"unread":        `SELECT COALESCE(sum(unread), 0) FROM notification_counts`,
	}
	for _, at := range []string{"one after the other", "at once"} {
		t.Run(at, func(t *testing.T) {
			g := f.group(fmt.Sprintf("Busy Club %d", f.next()), guildhall.Private, guildhall.DefaultGroupSettings(), admin)
			f.exec(`
				WITH a AS (
					INSERT INTO accounts (email, display_name, password_hash)
					SELECT 'twice-' || $2::text || '-' || i || '@example.com', 'Twice ' || i, 'not a hash'
					FROM generate_series(1, $3::int) i
					RETURNING id
				)
				INSERT INTO join_requests (group_id, account_id) SELECT $1, id FROM a`, g.ID, f.next(), n)
			was := map[string]int{}
			for what, q := range tally {
				was[what] = f.count(q)
			}
			public := guildhall.Public
			if _, err := f.s.Groups.UpdateGroup(f.ctx, admin, g.ID, guildhall.GroupUpdate{Privacy: &public}); err != nil {
				t.Fatal(err)
			}
			var args []byte
			if err := f.db.GetContext(f.ctx, &args, `SELECT args FROM river_job WHERE kind = $1 AND state = 'available'`,
				EndedRequestsFanOut{}.Kind()); err != nil {
				t.Fatal(err)
			}
			var job EndedRequestsFanOut
			if err := json.Unmarshal(args, &job); err != nil {
				t.Fatal(err)
			}
			written := make([]int64, 3)
			if at == "at once" {
				var wg sync.WaitGroup
				errs := make([]error, len(written))
				for i := range written {
					wg.Go(func() { written[i], errs[i] = f.ms.FanOutEndedRequests(f.ctx, job) })
				}
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
			} else {
				for i := range written {
					w, err := f.ms.FanOutEndedRequests(f.ctx, job)
					if err != nil {
						t.Fatal(err)
					}
					written[i] = w
				}
			}
			slices.Sort(written)
			if !slices.Equal(written, []int64{0, 0, n}) {
				t.Errorf("the runs wrote %v audit entries, want %d once and none after", written, n)
			}
			f.workFanOuts() // the queued job itself: nothing left to write
			for what, q := range tally {
				if got := f.count(q) - was[what]; got != n {
					t.Errorf("%s: %d more, want %d", what, got, n)
				}
			}
			f.wantCountsRight(g)
		})
	}
}
