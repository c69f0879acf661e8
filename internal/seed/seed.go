// Package seed fills a Guildhall database with realistic data in bulk SQL:
// accounts, groups of every privacy with their members, and one private
// group with a long queue of pending join requests. `guildhall seed` and the
// load benchmark (cmd/benchload) use it; nothing that serves does.
package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// Domain is the email domain of every seeded account (.invalid is reserved,
// so no mail can ever reach one). An account at another domain is real,
// except the queue's owner, whom the seed names.
const Domain = "seed.invalid"

// Options says what to seed.
type Options struct {
	Accounts        int    // seeded member accounts
	Groups          int    // groups, of mixed privacy
	MembersPerGroup int    // members of each group, its owner included
	Queue           int    // pending join requests in the queue group
	QueueGroup      string // name of the private group holding the queue
	QueueOwner      string // email of the account that owns it (created when missing)
	Password        string // password of every account the seed creates
	Force           bool   // seed even when real accounts exist
	Progress        io.Writer
}

// Defaults are the sizes of the scale targets: 100,000 groups and 1,000,000
// memberships, with a 10,000-request queue.
func Defaults() Options {
	return Options{
		Accounts: 20000, Groups: 100000, MembersPerGroup: 10, Queue: 10000,
		QueueGroup: "Big Queue", QueueOwner: "queue-admin@" + Domain, Password: "seed-password",
		Progress: io.Discard,
	}
}

// MemberEmail is the email of the seeded account numbered n.
func MemberEmail(n int) string { return fmt.Sprintf("member-%d@%s", n, Domain) }

// Result tells what was seeded.
type Result struct {
	FirstMember  int    // number of the first account this run added (see MemberEmail)
	QueueSlug    string // the queue group's slug ("" without a queue)
	QueueGroupID string
	QueueOwnerID string
	Elapsed      time.Duration
}

// Validate refuses sizes that cannot be seeded as asked.
func (o Options) Validate() error {
	switch {
	case o.Accounts < 1 || o.Groups < 0 || o.MembersPerGroup < 1 || o.Queue < 0:
		return errors.New("seed: --accounts and --members-per-group must be at least 1, --groups and --queue at least 0")
	case o.MembersPerGroup > o.Accounts:
		return fmt.Errorf("seed: %d members per group need at least as many accounts (--accounts %d)", o.MembersPerGroup, o.Accounts)
	case o.Queue > o.Accounts:
		return fmt.Errorf("seed: a queue of %d needs at least as many accounts (--accounts %d)", o.Queue, o.Accounts)
	case o.Queue > 0 && (strings.TrimSpace(o.QueueGroup) == "" || !strings.Contains(o.QueueOwner, "@")):
		return errors.New("seed: a queue needs --queue-group and a --queue-owner email")
	case o.Password == "":
		return errors.New("seed: --password must not be empty")
	}
	return nil
}

// chunk is how many groups one statement writes, so the progress line moves
// and no statement holds locks for long.
const chunk = 20000

// Run seeds db as o says. passwordHash is the PHC string of o.Password,
// computed once for every account (hashing 20,000 passwords would take
// half an hour).
func Run(ctx context.Context, db *sqlx.DB, o Options, passwordHash string) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if !o.Force {
		var real int
		err := db.GetContext(ctx, &real, `SELECT count(*) FROM accounts WHERE email NOT LIKE '%@'||$1 AND email <> $2`, Domain, o.QueueOwner)
		if err != nil {
			return nil, fmt.Errorf("seed: count accounts: %w", err)
		}
		if real > 0 {
			return nil, fmt.Errorf("seed: the database has %d real (not seeded) accounts; refusing to fill it (--force seeds anyway)", real)
		}
	}
	// One transaction for the whole run: an interrupted seed leaves nothing
	// behind, not even the indexes it set aside.
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	s := &seeder{ctx: ctx, tx: tx, o: o, hash: passwordHash, start: time.Now()}
	for _, step := range []func() error{s.setAsideIndexes, s.accounts, s.groups, s.queue, s.rebuildIndexes} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	s.progress("commit")
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("seed: commit: %w", err)
	}
	// ANALYZE after the commit: the planner's statistics would otherwise
	// still describe nearly empty tables.
	s.progress("analyze")
	if _, err := db.ExecContext(ctx, `ANALYZE accounts, groups, group_members, join_requests`); err != nil {
		return nil, fmt.Errorf("seed: analyze: %w", err)
	}
	s.res.Elapsed = time.Since(s.start)
	fmt.Fprintf(o.Progress, "\rseeded %d accounts, %d groups, %d memberships, a queue of %d in %s%s\n",
		o.Accounts, o.Groups, o.Groups*o.MembersPerGroup, o.Queue, s.res.Elapsed.Round(100*time.Millisecond), strings.Repeat(" ", 20))
	return &s.res, nil
}

type seeder struct {
	ctx     context.Context
	tx      *sqlx.Tx
	rebuild []string // the indexes set aside, to build again at the end
	o       Options
	hash    string
	start   time.Time
	res     Result
}

func (s *seeder) progress(format string, args ...any) {
	fmt.Fprintf(s.o.Progress, "\r[%5.1fs] "+format+"   ", append([]any{time.Since(s.start).Seconds()}, args...)...)
}

// exec runs one statement (its own transaction).
func (s *seeder) exec(what, query string, args ...any) error {
	if _, err := s.tx.ExecContext(s.ctx, query, args...); err != nil {
		return fmt.Errorf("seed: %s: %w", what, err)
	}
	return nil
}

// accounts adds o.Accounts accounts, numbered after those seeded before.
// seed_accounts numbers this run's accounts from 0 for the steps after.
func (s *seeder) accounts() error {
	err := s.tx.GetContext(s.ctx, &s.res.FirstMember, `SELECT count(*) + 1 FROM accounts WHERE email LIKE 'member-%@'||$1`, Domain)
	if err != nil {
		return fmt.Errorf("seed: count seeded accounts: %w", err)
	}
	s.progress("accounts: %d", s.o.Accounts)
	if err := s.exec("number accounts", `
		CREATE TEMP TABLE seed_accounts AS SELECT i, gen_random_uuid() AS id FROM generate_series(0, $1::int - 1) i`, s.o.Accounts); err != nil {
		return err
	}
	if err := s.exec("number accounts", `CREATE UNIQUE INDEX ON seed_accounts (i)`); err != nil {
		return err
	}
	// Every seventh profile is private, as some people's are.
	return s.exec("accounts", `
		INSERT INTO accounts (id, email, display_name, password_hash, public_profile, created_at)
		SELECT id, 'member-'||(i + $1)||'@'||$2,
			(ARRAY['Ada','Bo','Chen','Dara','Eli','Femi','Gus','Hana','Ivo','Juno'])[i % 10 + 1]||' Member '||(i + $1),
			$3, i % 7 <> 6, now() - make_interval(secs => i)
		FROM seed_accounts`, s.res.FirstMember, Domain, s.hash)
}

// groups adds o.Groups groups (7 in 10 public, 2 private, 1 secret) and
// o.MembersPerGroup members in each, the first its owner and admin, chunk
// by chunk. Members of group i are accounts i*7919+j (mod the accounts), so
// everyone belongs to about groups×members/accounts groups.
func (s *seeder) groups() error {
	var base int
	if err := s.tx.GetContext(s.ctx, &base, `SELECT count(*) FROM groups`); err != nil {
		return fmt.Errorf("seed: count groups: %w", err)
	}
	for lo := 0; lo < s.o.Groups; lo += chunk {
		hi := min(lo+chunk, s.o.Groups)
		s.progress("groups: %d of %d, memberships: %d of %d", lo, s.o.Groups, lo*s.o.MembersPerGroup, s.o.Groups*s.o.MembersPerGroup)
		if err := s.exec("groups", `DROP TABLE IF EXISTS seed_groups`); err != nil {
			return err
		}
		err := s.exec("groups", `
			CREATE TEMP TABLE seed_groups AS
				SELECT i, gen_random_uuid() AS id,
					(ARRAY['Hiking','Chess','Baking','Cycling','Poetry','Jazz','Robotics','Gardening','Film','Climbing',
						'Knitting','Astronomy','Running','Pottery','Photography','Birding','Sailing','Debate','Origami','Rowing'])[i % 20 + 1]
					||' '||(ARRAY['Club','Circle','Society','Guild','Collective','Friends','Crew','League','Union','Workshop','Lab','Team','Meetup'])[(i / 20) % 13 + 1]
					||' '||(i + $3) AS name,
					CASE WHEN i % 10 < 7 THEN 'PUBLIC' WHEN i % 10 < 9 THEN 'PRIVATE' ELSE 'SECRET' END AS privacy,
					(SELECT id FROM seed_accounts WHERE seed_accounts.i = (g.i * 7919) % $4) AS owner_id,
					now() - make_interval(secs => i * 13) AS created_at
				FROM generate_series($1::int, $2::int - 1) AS g(i)`, lo, hi, base, s.o.Accounts)
		if err != nil {
			return err
		}
		err = s.exec("groups", `
			INSERT INTO groups (id, name, slug, description, privacy, owner_id, members_count, created_at, updated_at, last_activity_at)
			SELECT id, name,
				CASE WHEN privacy = 'SECRET' THEN substr(md5(id::text), 1, 12) ELSE lower(replace(name, ' ', '-')) END,
				'A seeded group for trying Guildhall at scale.', privacy, owner_id, $1, created_at, created_at,
				created_at + make_interval(secs => (i * 7) % 100000)
			FROM seed_groups`, s.o.MembersPerGroup)
		if err != nil {
			return err
		}
		err = s.exec("memberships", `
			INSERT INTO group_members (group_id, account_id, role, joined_at)
			SELECT g.id, a.id, CASE WHEN j = 0 THEN 'ADMIN' ELSE 'MEMBER' END, g.created_at + make_interval(secs => j)
			FROM seed_groups g
			CROSS JOIN generate_series(0, $1::int - 1) AS j
			JOIN seed_accounts a ON a.i = (g.i * 7919 + j) % $2`, s.o.MembersPerGroup, s.o.Accounts)
		if err != nil {
			return err
		}
	}
	return nil
}

// queue adds the private queue group, owned by o.QueueOwner (created with
// the seed's password when missing), with o.Queue pending join requests
// from as many seeded accounts, oldest first in account order.
func (s *seeder) queue() error {
	if s.o.Queue == 0 {
		return nil
	}
	s.progress("queue: %d pending requests", s.o.Queue)
	err := s.tx.GetContext(s.ctx, &s.res.QueueOwnerID, `
		WITH made AS (
			INSERT INTO accounts (email, display_name, password_hash)
			VALUES ($1, 'Queue Admin', $2)
			ON CONFLICT (email) DO NOTHING
			RETURNING id
		)
		SELECT id FROM made UNION ALL SELECT id FROM accounts WHERE email = $1
		LIMIT 1`, s.o.QueueOwner, s.hash)
	if err != nil {
		return fmt.Errorf("seed: queue owner: %w", err)
	}
	name := strings.TrimSpace(s.o.QueueGroup)
	s.res.QueueSlug = guildhall.Slugify(name)
	err = s.tx.GetContext(s.ctx, &s.res.QueueGroupID, `
		WITH g AS (
			INSERT INTO groups (name, slug, description, privacy, owner_id, members_count)
			VALUES ($1, $2, 'A private group with a long queue of join requests.', 'PRIVATE', $3, 1)
			RETURNING id
		), m AS (
			INSERT INTO group_members (group_id, account_id, role) SELECT id, $3, 'ADMIN' FROM g
		)
		SELECT id FROM g`, name, s.res.QueueSlug, s.res.QueueOwnerID)
	if err != nil {
		return fmt.Errorf("seed: queue group %q (slug %s): %w", name, s.res.QueueSlug, err)
	}
	return s.exec("join requests", `
		INSERT INTO join_requests (group_id, account_id, created_at)
		SELECT $1, a.id, now() - make_interval(secs => $2 - a.i)
		FROM seed_accounts a WHERE a.i < $2 AND a.id <> $3`, s.res.QueueGroupID, s.o.Queue, s.res.QueueOwnerID)
}

// setAsideIndexes drops the secondary indexes of groups and group_members
// (not those behind constraints) when they are nearly empty, for
// rebuildIndexes to build again from their own definitions: building an
// index once over a million rows is many times cheaper than keeping it up
// row by row. On a filled database they stay.
func (s *seeder) setAsideIndexes() error {
	var groups int
	if err := s.tx.GetContext(s.ctx, &groups, `SELECT count(*) FROM (SELECT 1 FROM groups LIMIT 10000) g`); err != nil {
		return fmt.Errorf("seed: count groups: %w", err)
	}
	if groups >= 10000 || s.o.Groups < 10000 {
		return nil
	}
	var idx []struct {
		Name string `db:"indexname"`
		Def  string `db:"indexdef"`
	}
	err := s.tx.SelectContext(s.ctx, &idx, `
		SELECT i.indexname, i.indexdef FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename IN ('groups', 'group_members')
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`)
	if err != nil {
		return fmt.Errorf("seed: read indexes: %w", err)
	}
	for _, i := range idx {
		if err := s.exec("set index aside", `DROP INDEX `+pqIdent(i.Name)); err != nil {
			return err
		}
		s.rebuild = append(s.rebuild, i.Def)
	}
	return s.exec("index memory", `SET LOCAL maintenance_work_mem = '256MB'`)
}

// rebuildIndexes builds again what setAsideIndexes dropped.
func (s *seeder) rebuildIndexes() error {
	for n, def := range s.rebuild {
		s.progress("indexes: %d of %d", n, len(s.rebuild))
		if err := s.exec("rebuild index", def); err != nil {
			return err
		}
	}
	return nil
}

// pqIdent quotes an identifier read from the catalog.
func pqIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
