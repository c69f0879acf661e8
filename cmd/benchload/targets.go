package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"guildhall/internal/jobs"
)

// fixtures are what the pages and actions are aimed at.
type fixtures struct {
	slugs, ids         []string // public groups, in a fixed random order
	queueID, queueSlug string
	deep               string // the directory's page 400, as its Next links reach it
}

var nextLink = regexp.MustCompile(`<a href="([^"]*)"[^>]*>Next</a>`)

// deepPage follows the directory's Next links to page n (or, when there are
// fewer, the last full page: the last page may hold a row or two, which
// would make a small site's "same page" cheaper than it is), as someone
// clicking through would. A build whose Next links carry only the page
// number is sent to that page directly: it would cost the same.
func deepPage(ctx context.Context, hc *http.Client, base, cookie string, n int) (string, error) {
	path, prev := "/groups", "/groups"
	for p := 1; p < n; p++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Cookie", cookie)
		resp, err := hc.Do(req)
		if err != nil {
			return "", err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return "", err
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("%s: status %d", path, resp.StatusCode)
		}
		m := nextLink.FindSubmatch(body)
		if m == nil {
			return prev, nil // a smaller directory: the page before its last
		}
		prev, path = path, html.UnescapeString(string(m[1]))
		if !strings.Contains(path, "after=") {
			return fmt.Sprintf("/groups?page=%d", n), nil
		}
	}
	return path, nil
}

func loadFixtures(ctx context.Context, db *sql.DB, o options) (*fixtures, error) {
	fx := &fixtures{}
	rows, err := db.QueryContext(ctx, `
		SELECT slug, id FROM groups
		WHERE privacy = 'PUBLIC' AND deleted_at IS NULL
		ORDER BY md5(id::text) LIMIT 500`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s, id string
		if err := rows.Scan(&s, &id); err != nil {
			return nil, err
		}
		fx.slugs, fx.ids = append(fx.slugs, s), append(fx.ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(fx.slugs) == 0 {
		return nil, fmt.Errorf("no public groups were seeded")
	}
	err = db.QueryRowContext(ctx, `
		SELECT g.id, g.slug FROM groups g JOIN accounts a ON a.id = g.owner_id
		WHERE a.email = $1 AND g.deleted_at IS NULL ORDER BY g.created_at DESC LIMIT 1`, o.seed.QueueOwner).
		Scan(&fx.queueID, &fx.queueSlug)
	if err != nil {
		return nil, fmt.Errorf("find the queue group: %w", err)
	}
	return fx, nil
}

// rotate makes a call that aims each request at the next of items.
func rotate(items []string, mk func(string) call) call {
	calls := make([]call, len(items))
	for i, it := range items {
		calls[i] = mk(it)
	}
	var n atomic.Uint64
	return func(ctx context.Context, c *http.Client) (int, error) {
		return calls[int(n.Add(1)%uint64(len(calls)))](ctx, c)
	}
}

type target struct {
	name, as string
	want     int
	do       call
}

// pageTargets are the pages of the scale targets, for the plain member and
// for the admin of the big queue alike.
func pageTargets(in *instance, fx *fixtures) []target {
	var ts []target
	query := []byte(`{"query": {"filter": {"name": {"$startsWith": "chess"}}, "sort": [{"fieldName": "membersCount", "order": "DESC"}], "paging": {"limit": 20}}}`)
	for _, a := range []actor{in.member, in.admin} {
		page := func(name, path string) target {
			return target{name, a.name, http.StatusOK, get(in.base+path, a.cookie, "")}
		}
		ts = append(ts,
			page("/groups", "/groups"),
			page("/groups page 400 (or last full), by Next", fx.deep),
			page("/groups?q=chess", "/groups?q=chess"),
			page("/groups?sort=members", "/groups?sort=members"),
			target{"/groups/{slug}", a.name, http.StatusOK, rotate(fx.slugs, func(s string) call { return get(in.base+"/groups/"+s, a.cookie, "") })},
			target{"/groups/{slug}/members", a.name, http.StatusOK, rotate(fx.slugs, func(s string) call { return get(in.base+"/groups/"+s+"/members", a.cookie, "") })},
			page("/inbox", "/inbox"),
			page("/me/requests", "/me/requests"),
			target{"API GET /groups/{id}", a.name, http.StatusOK, rotate(fx.ids, func(id string) call { return get(in.base+"/api/v1/groups/"+id, "", a.token) })},
			target{"API POST /groups/query", a.name, http.StatusOK, post(in.base+"/api/v1/groups/query", a.token, func() []byte { return query })},
		)
		if a == in.admin {
			ts = append(ts, page("/groups/{queue}/requests", "/groups/"+fx.queueSlug+"/requests"))
		}
	}
	return ts
}

// runActions times the decisions as the queue's admin, one at a time:
// approving and rejecting 100 requests, and turning the group public and
// secret with a full queue (refilled and reset between samples).
func runActions(ctx context.Context, hc *http.Client, in *instance, fx *fixtures, o options, stderr io.Writer) ([]row, error) {
	var pending []string
	rows, err := in.db.QueryContext(ctx, `
		SELECT account_id FROM join_requests WHERE group_id = $1 AND status = 'PENDING'
		ORDER BY created_at, id`, fx.queueID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		pending = append(pending, id)
	}
	rows.Close()
	if len(pending) < 200*o.actions {
		return nil, fmt.Errorf("only %d pending requests for %d actions", len(pending), o.actions)
	}
	base := in.base + "/api/v1/groups/" + fx.queueID
	var approve, reject []time.Duration
	var out []row
	for i := range o.actions {
		if !o.runs("approve 100 requests") && !o.runs("reject 100 requests") {
			break
		}
		ids := pending[i*200 : i*200+100]
		body, _ := json.Marshal(map[string]any{"memberIds": ids})
		d, err := timed(ctx, hc, http.MethodPost, base+"/join-requests/approve", in.admin.token, body)
		if err != nil {
			return nil, fmt.Errorf("approve 100: %w", err)
		}
		approve = append(approve, d)
		var rj []map[string]string
		for _, id := range pending[i*200+100 : i*200+200] {
			rj = append(rj, map[string]string{"memberId": id, "reason": "The benchmark says no."})
		}
		body, _ = json.Marshal(map[string]any{"rejections": rj})
		if d, err = timed(ctx, hc, http.MethodPost, base+"/join-requests/reject", in.admin.token, body); err != nil {
			return nil, fmt.Errorf("reject 100: %w", err)
		}
		reject = append(reject, d)
	}
	if len(approve) > 0 {
		out = append(out,
			row{name: "approve 100 requests", as: in.admin.name, res: samples(approve)},
			row{name: "reject 100 requests", as: in.admin.name, res: samples(reject)})
	}
	samplesPrivacy := max(1, o.actions/4)
	for _, to := range []string{"PUBLIC", "SECRET"} {
		if !o.runs(privacyAction(to)) {
			continue
		}
		var ds []time.Duration
		for range samplesPrivacy {
			if err := resetQueue(ctx, in.db, fx, o.seed.Queue); err != nil {
				return nil, fmt.Errorf("refill the queue: %w", err)
			}
			body := []byte(`{"group": {"privacyStatus": "` + to + `"}}`)
			began := time.Now()
			d, err := timed(ctx, hc, http.MethodPatch, base, in.admin.token, body)
			if err != nil {
				return nil, fmt.Errorf("private → %s: %w", to, err)
			}
			ds = append(ds, d)
			// Work the change queued for later (its fan-out) ends before
			// the next sample, so that no sample pays for another's.
			if err := jobsAfter(ctx, in.db, began, stderr); err != nil {
				return nil, err
			}
		}
		out = append(out, row{name: fmt.Sprintf("%s, %d pending", privacyAction(to), o.seed.Queue), as: in.admin.name, res: samples(ds)})
	}
	if err := resetQueue(ctx, in.db, fx, o.seed.Queue); err != nil {
		return nil, err
	}
	for _, r := range out {
		fmt.Fprintf(stderr, "  %-34s p50 %s p99 %s\n", r.name, r.res.P50.Round(100*time.Microsecond), r.res.P99.Round(100*time.Microsecond))
	}
	return out, nil
}

func privacyAction(to string) string { return "private → " + to }

// jobsAfter waits until the server's job queue is idle and prints how long
// each job inserted since began took: a change that leaves work to a job
// (a privacy change's fan-out) is timed without it, and the job is said.
func jobsAfter(ctx context.Context, db *sql.DB, began time.Time, stderr io.Writer) error {
	wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := jobs.WaitIdle(wait, db); err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, `
		SELECT kind, count(*), max(finalized_at - attempted_at)::text FROM river_job
		WHERE created_at >= $1 AND kind <> 'webhook_delivery' GROUP BY kind ORDER BY kind`, began)
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var kind, took string
		var n int
		if err := rows.Scan(&kind, &n, &took); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "    then %d %s job(s), the longest %s\n", n, kind, took)
	}
	return rows.Err()
}

// timed makes one request and returns how long it took; anything but 200
// is an error.
func timed(ctx context.Context, hc *http.Client, method, url, token string, body []byte) (time.Duration, error) {
	t := time.Now()
	status, err := send(ctx, hc, method, url, "", token, body)
	d := time.Since(t)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("status %d", status)
	}
	return d, err
}

func samples(ds []time.Duration) result {
	var total time.Duration
	for _, d := range ds {
		total += d
	}
	return result{Requests: len(ds), Elapsed: total, P50: percentile(ds, 0.5), P99: percentile(ds, 0.99)}
}

// resetQueue puts the queue group back as seeded: private, its owner its
// only member, and n pending requests from seeded accounts. It writes the
// tables directly, as any other writer would; counts that are kept must
// follow by themselves.
func resetQueue(ctx context.Context, db *sql.DB, fx *fixtures, n int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := []struct {
		q    string
		args []any
	}{
		{`DELETE FROM join_requests WHERE group_id = $1`, []any{fx.queueID}},
		{`DELETE FROM group_members WHERE group_id = $1 AND role <> 'ADMIN'`, []any{fx.queueID}},
		{`DELETE FROM group_old_slugs WHERE group_id = $1`, []any{fx.queueID}},
		{`UPDATE groups SET privacy = 'PRIVATE', slug = $2, members_count = (SELECT count(*) FROM group_members WHERE group_id = $1) WHERE id = $1`,
			[]any{fx.queueID, fx.queueSlug}},
		{`INSERT INTO join_requests (group_id, account_id, created_at)
			SELECT $1, a.id, now() - make_interval(secs => row_number() OVER ())
			FROM accounts a
			WHERE a.email LIKE 'member-%' AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = $1 AND m.account_id = a.id)
			LIMIT $2`, []any{fx.queueID, n}},
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s.q, s.args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// withDatabase is server URL u with its database set to name.
func withDatabase(u, name string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.Path = "/" + name
	return p.String()
}

func execCommand(ctx context.Context, bin string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, bin, args...)
}
