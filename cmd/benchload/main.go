// Command benchload is the load benchmark behind `make bench-load`: it
// seeds a database (internal/seed), starts each Guildhall binary it is
// given on its own copy of it, and in the same run a one-query yardstick
// handler on the same data; drives every page of the scale targets with
// the same concurrency on each binary in turn (page by page, so that what
// is compared was measured seconds apart), then times the actions; and
// prints one table of req/s, p50,
// p99 and the share of the yardstick's rate.
//
//	go run ./cmd/benchload --bin after=bin/guildhall [--bin before=/tmp/old-guildhall]
//
// It is a tool for measuring, never part of what serves.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"guildhall/internal/guildhall"
	"guildhall/internal/pgcluster"
	"guildhall/internal/seed"
)

type options struct {
	bins      []binary
	serverURL string // a server to create databases on; empty: a private cluster
	dataDir   string
	seedDB    string
	reuse     bool
	clients   int
	duration  time.Duration
	warmup    time.Duration // each page driven this long, uncounted, before any is measured
	rounds    int           // each page's duration is driven in this many slices, in turn with the other binaries
	actions   int
	seed      seed.Options
	out       string
	small     int            // groups of the second, small seed the last binary is also measured on; 0: none
	noActions bool           // pages only
	pmFile    string         // the private cluster's postmaster.pid, whose CPU time is counted; empty: not counted
	only      *regexp.Regexp // pages and actions to run; nil: all
	profile   string         // a directory for each page's CPU profile; empty: none
}

type binary struct{ label, path string }

func main() {
	if len(os.Args) == 3 && os.Args[1] == "--serve-yardstick" {
		serveYardstick(os.Args[2])
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := options{seed: seed.Defaults()}
	fs := flag.NewFlagSet("benchload", flag.ContinueOnError)
	fs.Func("bin", "label=path of a guildhall binary to measure (repeat to compare; default after=bin/guildhall)", func(v string) error {
		label, path, ok := strings.Cut(v, "=")
		if !ok || label == "" || path == "" {
			return errors.New("want label=path")
		}
		o.bins = append(o.bins, binary{label, path})
		return nil
	})
	fs.StringVar(&o.serverURL, "server-url", os.Getenv("BENCH_SERVER_URL"), "PostgreSQL URL of a server on which to create the bench databases (the user must create databases); empty: a private cluster in --data-dir")
	fs.StringVar(&o.dataDir, "data-dir", ".guildhall-bench", "where the private cluster lives")
	fs.StringVar(&o.seedDB, "seed-db", "guildhall_bench", "name of the seeded database each binary gets a copy of")
	fs.BoolVar(&o.reuse, "reuse", false, "reuse the seeded database when it exists instead of seeding afresh")
	fs.IntVar(&o.clients, "clients", 16, "concurrent clients on every page")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "how long each page is driven")
	fs.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "how long each page is driven, uncounted, in a pass over every page before the measured one (0: none)")
	fs.IntVar(&o.rounds, "rounds", 3, "drive each page's --duration in this many slices, each binary's slice (after its yardstick's) in turn, so that a moment of load elsewhere on the machine falls on every binary alike")
	fs.IntVar(&o.actions, "actions", 10, "how many times each action is timed")
	fs.IntVar(&o.seed.Accounts, "accounts", o.seed.Accounts, "seeded accounts")
	fs.IntVar(&o.seed.Groups, "groups", o.seed.Groups, "seeded groups")
	fs.IntVar(&o.seed.MembersPerGroup, "members-per-group", o.seed.MembersPerGroup, "members of each seeded group")
	fs.IntVar(&o.seed.Queue, "queue", o.seed.Queue, "pending join requests in the queue group")
	fs.StringVar(&o.out, "out", "", "also write the table to this file")
	fs.Func("only", "run only the pages and actions whose name matches this regular expression", func(v string) (err error) {
		o.only, err = regexp.Compile(v)
		return err
	})
	fs.IntVar(&o.small, "small-groups", 0, "also measure the last binary's pages on a seed of this many groups (same accounts, members per group and queue), to show whether a page's cost grows with the site")
	fs.StringVar(&o.profile, "profile", "", "write a CPU profile of the server under each page's load into this directory (<label>-<page>.pprof)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(o.bins) == 0 {
		o.bins = []binary{{"after", "bin/guildhall"}}
	}
	if o.seed.Queue < 100*(2*o.actions) {
		return fmt.Errorf("a queue of %d is too short for %d approvals and %d rejections of 100", o.seed.Queue, o.actions, o.actions)
	}
	for i, b := range o.bins {
		p, err := filepath.Abs(b.path)
		if err != nil {
			return err
		}
		o.bins[i].path = p
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	dbURL := func(name string) string { return withDatabase(o.serverURL, name) }
	if o.serverURL == "" {
		dir, err := filepath.Abs(o.dataDir)
		if err != nil {
			return err
		}
		// The bench's data is thrown away: no fsync, so the disk that other
		// work shares adds less noise to what the queries cost.
		cluster, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: dir, DBName: "postgres", Logger: logger, NoSync: true})
		if err != nil {
			return err
		}
		defer func() {
			if err := cluster.Stop(); err != nil {
				logger.Warn("stop the bench cluster", "err", err)
			}
		}()
		dbURL = cluster.URL
		o.pmFile = postmasterFile(dir)
	}
	admin, err := sqlx.Open("postgres", dbURL("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close()
	admin.SetMaxOpenConns(1)

	if err := prepareSeed(ctx, admin, dbURL, o, stderr); err != nil {
		return err
	}
	// Every binary, and the last one again on the small seed, is started
	// first; then each page is driven on each of them in turn, so that the
	// figures compared in a row of the tables were taken within seconds of
	// one another, not minutes apart on a machine whose load moves.
	var benches []*bench
	defer func() {
		for _, b := range benches {
			b.close()
		}
	}()
	for _, b := range o.bins {
		fmt.Fprintf(stderr, "starting %s (%s)\n", b.label, b.path)
		bn, err := setUp(ctx, admin, dbURL, o, b, stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", b.label, err)
		}
		benches = append(benches, bn)
	}
	if o.small > 0 {
		so := o
		so.seed.Groups, so.seedDB, so.noActions, so.profile = o.small, fmt.Sprintf("%s_%d", o.seedDB, o.small), true, ""
		last := o.bins[len(o.bins)-1]
		if err := prepareSeed(ctx, admin, dbURL, so, stderr); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "starting %s at %d groups\n", last.label, o.small)
		bn, err := setUp(ctx, admin, dbURL, so, binary{label: fmt.Sprintf("%s_%d", last.label, o.small), path: last.path}, stderr)
		if err != nil {
			return fmt.Errorf("%s at %d groups: %w", last.label, o.small, err)
		}
		benches = append(benches, bn)
	}
	if err := measurePages(ctx, o, benches, stderr); err != nil {
		return err
	}
	var runs []*binRun
	for _, b := range benches[:len(o.bins)] {
		if err := b.runActions(ctx, stderr); err != nil {
			return fmt.Errorf("%s: %w", b.run.label, err)
		}
		runs = append(runs, b.run)
	}
	table := report(o, runs)
	if o.small > 0 {
		table += flatReport(o, runs[len(runs)-1], benches[len(benches)-1].run)
	}
	fmt.Fprint(stdout, table)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(table), 0o644)
	}
	return nil
}

// prepareSeed makes the seeded database: migrated by the first binary (the
// oldest schema, so every binary migrates its own copy the way an upgrade
// would), then filled by internal/seed.
func prepareSeed(ctx context.Context, admin *sqlx.DB, dbURL func(string) string, o options, stderr io.Writer) error {
	var exists bool
	if err := admin.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, o.seedDB); err != nil {
		return err
	}
	if exists && o.reuse {
		fmt.Fprintf(stderr, "reusing the seeded database %s\n", o.seedDB)
		return nil
	}
	if exists {
		if _, err := admin.ExecContext(ctx, `DROP DATABASE `+ident(o.seedDB)+` WITH (FORCE)`); err != nil {
			return err
		}
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+ident(o.seedDB)); err != nil {
		return err
	}
	if err := runBin(ctx, o.bins[0].path, stderr, "migrate", "--database-url", dbURL(o.seedDB)); err != nil {
		return err
	}
	db, err := sqlx.Open("postgres", dbURL(o.seedDB))
	if err != nil {
		return err
	}
	defer db.Close()
	hash, err := guildhall.DefaultPasswordHasher().Hash(o.seed.Password)
	if err != nil {
		return err
	}
	so := o.seed
	so.Progress = stderr
	_, err = seed.Run(ctx, db, so, hash)
	return err
}

// binRun is one binary's measurements.
type binRun struct {
	label     string
	yard      []result // the yardstick, measured first and last
	rows      []row
	migration time.Duration
}

type row struct {
	name, as string
	res      result
	// yard is the yardstick driven just before the page, on the same
	// copy: what the page's shares and p99 are judged against. Zero for
	// the actions.
	yard result
}

// bench is one binary started on its own copy of a seeded database, with
// a yardstick process over the same copy, ready to be driven.
type bench struct {
	o         options
	in        *instance
	fx        *fixtures
	hc        *http.Client
	yardBase  string
	serverCPU cpuMeter
	yardCPU   cpuMeter
	run       *binRun
	closers   []func()
}

func (b *bench) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
}

// setUp copies the seeded database for bin, starts it and the yardstick
// over the copy, and signs its actors in.
func setUp(ctx context.Context, admin *sqlx.DB, dbURL func(string) string, o options, bin binary, stderr io.Writer) (_ *bench, err error) {
	b := &bench{o: o}
	defer func() {
		if err != nil {
			b.close()
		}
	}()
	name := o.seedDB + "_" + strings.ToLower(bin.label)
	if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+ident(name)+` WITH (FORCE)`); err != nil {
		return nil, err
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+ident(name)+` TEMPLATE `+ident(o.seedDB)); err != nil {
		return nil, fmt.Errorf("copy the seeded database: %w", err)
	}
	b.closers = append(b.closers, func() {
		if _, err := admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+ident(name)+` WITH (FORCE)`); err != nil {
			fmt.Fprintf(stderr, "drop the copy %s: %v\n", name, err)
		}
	})

	started := time.Now()
	in, err := start(ctx, bin.label, bin.path, dbURL(name), filepath.Join(os.TempDir(), "benchload-"+name+".log"), o.profile != "")
	if err != nil {
		return nil, err
	}
	b.in = in
	b.closers = append(b.closers, in.stop)
	b.run = &binRun{label: bin.label, migration: time.Since(started)}
	// The binary's migrations may have made tables the seed never filled
	// in and rewritten rows of others: vacuum and analyze, as autovacuum
	// soon would on a live site, so that the plans and the index-only scans
	// are the ones a site in its steady state runs.
	if _, err := in.db.ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
		return nil, fmt.Errorf("vacuum: %w", err)
	}
	if in.member, err = in.signIn(ctx, "member", seed.MemberEmail(1), o.seed.Password); err != nil {
		return nil, err
	}
	if in.admin, err = in.signIn(ctx, "queue admin", o.seed.QueueOwner, o.seed.Password); err != nil {
		return nil, err
	}
	if b.fx, err = loadFixtures(ctx, in.db, o); err != nil {
		return nil, err
	}
	if b.fx.deep, err = deepPage(ctx, &http.Client{}, in.base, in.member.cookie, 400); err != nil {
		return nil, err
	}
	ybase, ypid, stopYard, err := startYardstickProcess(dbURL(name))
	if err != nil {
		return nil, err
	}
	b.closers = append(b.closers, stopYard)
	b.yardBase = ybase
	b.serverCPU = cpuMeter{pid: in.cmd.Process.Pid, postmaster: o.pmFile}
	b.yardCPU = cpuMeter{pid: ypid, postmaster: o.pmFile}
	b.hc = &http.Client{
		Transport:     &http.Transport{MaxIdleConns: 4 * o.clients, MaxIdleConnsPerHost: 4 * o.clients},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       time.Minute,
	}
	return b, nil
}

// yardCall is one request to b's yardstick, a group by slug in turn.
func (b *bench) yardCall() call {
	return rotate(b.fx.slugs, func(s string) call { return get(b.yardBase+"/groups/"+s, "", "") })
}

// yardstick drives b's yardstick for d.
func (b *bench) yardstick(ctx context.Context, d time.Duration) result {
	return drive(ctx, b.hc, b.o.clients, d, http.StatusOK, b.yardCall(), b.yardCPU)
}

// measurePages drives every page on each bench in turn, each right after
// that bench's yardstick: a page's share is of the yardstick measured
// seconds before it, on a machine whose load moves from minute to minute.
// A page's --duration is driven in --rounds slices (yardstick, then page,
// on one bench, then the next), added up into one measurement.
func measurePages(ctx context.Context, o options, benches []*bench, stderr io.Writer) error {
	// A server that has just started has a small heap, cold backends and
	// none of its statements prepared on most of its connections: one
	// uncounted pass over every page first, so that the first pages
	// measured are not charged for what a running site has long done.
	if o.warmup > 0 {
		for _, b := range benches {
			warm, cancel := context.WithTimeout(ctx, o.warmup)
			runLoops(warm, b.hc, o.clients, http.StatusOK, b.yardCall())
			cancel()
			for _, t := range pageTargets(b.in, b.fx) {
				if o.runs(t.name) {
					warm, cancel := context.WithTimeout(ctx, o.warmup)
					runLoops(warm, b.hc, o.clients, t.want, t.do)
					cancel()
				}
			}
		}
	}
	targets := make([][]target, len(benches))
	for i, b := range benches {
		targets[i] = pageTargets(b.in, b.fx)
	}
	rounds := max(o.rounds, 1)
	slice := o.duration / time.Duration(rounds)
	for ti, t0 := range targets[0] {
		if !o.runs(t0.name) {
			continue
		}
		pages, yards := make([]result, len(benches)), make([]result, len(benches))
		for round := range rounds {
			for i, b := range benches {
				t := targets[i][ti]
				yards[i] = merge(yards[i], b.yardstick(ctx, slice))
				stopProfile := func() {}
				if round == 0 {
					stopProfile = b.in.profile(ctx, b.o.profile, t.name+" "+t.as, slice)
				}
				pages[i] = merge(pages[i], drive(ctx, b.hc, o.clients, slice, t.want, t.do, b.serverCPU))
				stopProfile()
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
		}
		for i, b := range benches {
			t, r, y := targets[i][ti], pages[i], yards[i]
			b.run.yard = append(b.run.yard, y)
			b.run.rows = append(b.run.rows, row{name: t.name, as: t.as, res: r, yard: y})
			fmt.Fprintf(stderr, "  %-12s %-34s %-12s %7.0f req/s  p50 %-8s p99 %-8s cpu %.3f ms/req (db %.3f)  errors %d %s  [yardstick %.0f req/s, p99 %s, cpu %.3f]\n",
				b.run.label, t.name, t.as, r.Rate(), r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.CPUPerRequest(), r.dbPerRequest(),
				r.Errors, r.FirstErr, y.Rate(), y.P99.Round(10*time.Microsecond), y.CPUPerRequest())
		}
	}
	return nil
}

// runActions times b's actions, one at a time.
func (b *bench) runActions(ctx context.Context, stderr io.Writer) error {
	if b.o.noActions {
		return nil
	}
	fmt.Fprintf(stderr, "actions of %s\n", b.run.label)
	acts, err := runActions(ctx, b.hc, b.in, b.fx, b.o, stderr)
	if err != nil {
		return err
	}
	b.run.rows = append(b.run.rows, acts...)
	return nil
}

func runBin(ctx context.Context, bin string, stderr io.Writer, args ...string) error {
	cmd := execCommand(ctx, bin, args...)
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", bin, args[0], err)
	}
	return nil
}

// runs says whether the page or action called name is to be measured.
func (o options) runs(name string) bool { return o.only == nil || o.only.MatchString(name) }

// ident quotes a database name for SQL.
func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
