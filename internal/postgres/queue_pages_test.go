package postgres

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"guildhall/internal/guildhall"
)

// The queue pages read their page of requests through an index whatever
// the size of join_requests: on a site whose join_requests held little
// more than one queue of 10,000, the inbox's generic plan scanned the whole
// table to find its page's 50 rows. Here the table holds only one queue, as
// there, and each page's prepared statement must not scan it. (A group's
// requests of every status are counted and sorted whole: that page reads
// them all however it is planned.)
func TestQueuePagesDoNotScanRequests(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	admin := f.person("Quinn Queue")
	site := f.person("Sam Siteadmin", siteAdminAccount)
	g := f.group("Big Queue", guildhall.Private, guildhall.DefaultGroupSettings(), admin)
	f.exec(`INSERT INTO accounts (email, display_name, password_hash)
		SELECT 'asker' || n || '@example.com', 'Asker ' || n, 'not a hash' FROM generate_series(1, 400) n`)
	f.exec(`INSERT INTO join_requests (group_id, account_id, answers, created_at)
		SELECT $1, a.id, '[]', now() - make_interval(secs => row_number() OVER (ORDER BY a.email))
		FROM accounts a WHERE a.email LIKE 'asker%'`, g.ID)
	f.exec(`ANALYZE`)

	tests := []struct {
		name string
		call func() error
		// marker picks the page's statement among those the call prepared;
		// args are its parameters, as the call passes them.
		marker string
		args   []any
	}{
		{"inbox of the queue's admin", func() error { _, err := f.ms.Inbox(f.ctx, admin, 50, 0); return err },
			"FROM k ", []any{admin.ID}},
		{"inbox of the queue's admin, page 2", func() error { _, err := f.ms.Inbox(f.ctx, admin, 50, 50); return err },
			"FROM k ", []any{admin.ID, 50}},
		{"inbox of a site admin", func() error { _, err := f.ms.Inbox(f.ctx, site, 50, 0); return err },
			"FROM k ", nil},
		{"the group's queue", func() error {
			_, err := f.ms.ListJoinRequests(f.ctx, admin, g.ID, guildhall.RequestQuery{Status: guildhall.Pending, Limit: 50})
			return err
		}, "ORDER BY", []any{g.ID}},
		{"my requests", func() error {
			_, err := f.ms.MyJoinRequests(f.ctx, admin, guildhall.RequestQuery{Limit: 50})
			return err
		}, "known_group_name", []any{admin.ID, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.db.cachedTexts()
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			var query string
			for q := range f.db.cachedTexts() {
				if !before[q] && strings.Contains(q, tt.marker) {
					query = q
				}
			}
			if query == "" {
				t.Fatalf("no new prepared statement with %q", tt.marker)
			}
			plan := genericPlan(t, f, query, tt.args...)
			if strings.Contains(plan, "Seq Scan on join_requests") {
				t.Errorf("the generic plan scans join_requests:\n%s\n%s", query, plan)
			}
		})
	}
}

// cachedTexts is the SQL of the prepared statements kept now.
func (db *DB) cachedTexts() map[string]bool {
	db.stmts.mu.Lock()
	defer db.stmts.mu.Unlock()
	out := map[string]bool{}
	for q := range db.stmts.m {
		out[q] = true
	}
	return out
}

// genericPlan is EXPLAIN of query prepared with args, in the generic plan
// the server's prepared statements settle on.
func genericPlan(t *testing.T, f *membershipFixture, query string, args ...any) string {
	t.Helper()
	conn, err := f.db.Conn(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range []string{`SET plan_cache_mode = force_generic_plan`, `PREPARE plan_probe AS ` + query} {
		if _, err := conn.ExecContext(f.ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	defer conn.ExecContext(f.ctx, `DEALLOCATE plan_probe; RESET plan_cache_mode`)
	lits := make([]string, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case string:
			lits[i] = pq.QuoteLiteral(a)
		case int:
			lits[i] = strconv.Itoa(a)
		case bool:
			lits[i] = strconv.FormatBool(a)
		default:
			t.Fatalf("argument %v: add its type", a)
		}
	}
	explain := `EXPLAIN EXECUTE plan_probe`
	if len(lits) > 0 {
		explain += `(` + strings.Join(lits, ", ") + `)`
	}
	rows, err := conn.QueryContext(f.ctx, explain)
	if err != nil {
		t.Fatalf("%s: %v", explain, err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan.String()
}

// selectRequestPage scans by position what sqlx scans by name: every
// column lands in its field, whatever it holds (a decided request, a
// pending one with answers, escalated and expiring).
func TestSelectRequestPageScansAsSqlx(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	admin := f.person("Ada Admin")
	g := f.group("Club", guildhall.Private, guildhall.DefaultGroupSettings(), admin)
	f.pending(g, f.person("Ann"), epoch, guildhall.Answer{QuestionID: "q1", Question: "Why?", Text: "Because"})
	ben, cid := f.person("Ben"), f.person("Cid")
	f.pending(g, ben, epoch.Add(time.Minute))
	f.pending(g, cid, epoch.Add(2*time.Minute))
	f.exec(`UPDATE join_requests SET escalated_at = created_at + interval '1 day' WHERE account_id = $1`, ben.ID)
	_, err := f.ms.RejectJoinRequests(f.ctx, admin, g.ID, []guildhall.MemberRejection{{AccountID: cid.ID, Reason: "Full"}})
	expectKind(t, err, nil)
	f.lifecycle(f.person("Sam", siteAdminAccount), guildhall.RequestLifecycle{ExpireAfterDays: days(30)})

	query := `SELECT 7 AS total, ` + joinRequestColumns + ` FROM join_requests r` + joinRequestFrom + `
		WHERE r.group_id = $1 ORDER BY r.created_at`
	var want []requestPageRow
	if err := f.db.SelectContext(f.ctx, &want, query, g.ID); err != nil {
		t.Fatal(err)
	}
	got, err := f.db.selectRequestPage(f.ctx, 50, query, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 3 || want[2].DecidedBy == nil || want[1].EscalatedAt == nil || want[0].ExpiresAt == nil {
		t.Fatalf("the fixture lacks a column's value: %+v", want)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("selectRequestPage =\n%+v\nsqlx =\n%+v", got, want)
	}
}
