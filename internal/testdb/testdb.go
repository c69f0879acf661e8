// Package testdb gives each test its own fresh, fully migrated PostgreSQL
// database, cloned by pgtestdb from a template that is migrated once.
//
// With DATABASE_URL set, the databases are made on that server (its user must
// be allowed to create databases and roles). Without it, a private cluster is
// started once per test process with pgcluster, in a directory under /tmp.
// Packages using testdb should stop that cluster when their tests end:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
//
// A cluster left behind by a test process that died (a panic, a -timeout, a
// kill) is stopped and removed by the next test process that starts one.
package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the "postgres" database/sql driver
	"github.com/peterldowns/pgtestdb"
	"github.com/peterldowns/pgtestdb/migrators/goosemigrator"

	"guildhall/internal/jobs"
	"guildhall/internal/pgcluster"
	"guildhall/migrations"
)

const (
	// dirPattern names the temp directories of private clusters.
	dirPattern = "guildhall-testdb-"
	// lockName is a file in that directory on which the owning process
	// holds an exclusive flock for as long as it lives.
	lockName = "owner.lock"
	// startTimeout bounds starting the private cluster.
	startTimeout = 2 * time.Minute
)

var (
	mu       sync.Mutex
	resolved bool
	base     pgtestdb.Config
	baseErr  error
	cluster  *pgcluster.Cluster
	tmpDir   string
	lockFile *os.File
)

// New returns a fresh, fully migrated database for this test, cloned from a migrated template by pgtestdb. It uses DATABASE_URL (which must point to a server where the user may create databases) when set; otherwise it starts (once per test process) a private cluster with pgcluster in a temp dir under /tmp. Never skips: failure to get a database is t.Fatal.
func New(t testing.TB) *sqlx.DB {
	t.Helper()
	conf := baseConfig(t)
	db := pgtestdb.New(t, conf, migrator())
	return sqlx.NewDb(db, "postgres")
}

// URL is like New but returns the connection URL of the fresh database instead of an open handle (for tests that start the whole server via a URL).
func URL(t testing.TB) string {
	t.Helper()
	conf := baseConfig(t)
	return pgtestdb.Custom(t, conf, migrator()).URL()
}

// Main runs the package's tests and then stops the private cluster if one was started, removing its temp dir. Use it as: func TestMain(m *testing.M) { testdb.Main(m) }
func Main(m interface{ Run() int }) {
	code := m.Run()
	if err := shutdown(); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func migrator() pgtestdb.Migrator {
	return withRiver{goosemigrator.New(".", goosemigrator.WithFS(migrations.FS))}
}

// withRiver applies Guildhall's migrations and then River's, as the migrate
// step does, so test databases have the job queue's tables.
type withRiver struct{ *goosemigrator.GooseMigrator }

func (m withRiver) Hash() (string, error) {
	h, err := m.GooseMigrator.Hash()
	return h + "+" + jobs.MigrationsVersion(), err
}

func (m withRiver) Migrate(ctx context.Context, db *sql.DB, conf pgtestdb.Config) error {
	if err := m.GooseMigrator.Migrate(ctx, db, conf); err != nil {
		return err
	}
	_, err := jobs.Migrate(ctx, db)
	return err
}

// baseConfig returns the server connection that pgtestdb creates databases
// through, starting the private cluster on first use.
func baseConfig(t testing.TB) pgtestdb.Config {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !resolved {
		resolved = true
		base, baseErr = resolve()
	}
	if baseErr != nil {
		t.Fatalf("testdb: no database for tests: %v", baseErr)
	}
	return base
}

func resolve() (pgtestdb.Config, error) {
	if raw := os.Getenv("DATABASE_URL"); raw != "" {
		conf, err := configFromURL(raw)
		if err != nil {
			return conf, fmt.Errorf("DATABASE_URL: %w", err)
		}
		return conf, nil
	}
	reapStale()
	if err := startCluster(); err != nil {
		cleanupDir()
		return pgtestdb.Config{}, err
	}
	return configFromURL(cluster.URL("postgres"))
}

// configFromURL turns a postgres:// URL into a pgtestdb.Config. A URL
// without sslmode gets sslmode=disable (lib/pq would default to require).
func configFromURL(raw string) (pgtestdb.Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return pgtestdb.Config{}, err
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return pgtestdb.Config{}, fmt.Errorf("want a postgres:// URL, got scheme %q", u.Scheme)
	}
	conf := pgtestdb.Config{
		DriverName: "postgres",
		Host:       u.Hostname(),
		Port:       u.Port(),
		Database:   strings.TrimPrefix(u.Path, "/"),
		// Tests leak connections now and then (a server still shutting
		// down, an unclosed rows); do not fail the test over it.
		ForceTerminateConnections: true,
	}
	// pgtestdb pastes User and Password into a URL unescaped (they are
	// used nowhere else), so keep them in their escaped URL form.
	if u.User != nil {
		conf.User = url.User(u.User.Username()).String()
		if pw, ok := u.User.Password(); ok {
			conf.Password = strings.TrimPrefix(url.UserPassword("", pw).String(), ":")
		}
	}
	q := u.Query()
	switch {
	case strings.HasPrefix(q.Get("host"), "/"):
		// A Unix socket (the private cluster's): lib/pq sorts its
		// settings, so a host in the URL's authority would beat the one in
		// the query. Leave the authority's empty.
		conf.Host = ""
	case conf.Host == "":
		conf.Host = "localhost"
	}
	if strings.Contains(conf.Host, ":") { // IPv6 literal
		conf.Host = "[" + conf.Host + "]"
	}
	if conf.Port == "" {
		conf.Port = "5432"
	}
	if conf.User == "" {
		conf.User = "postgres"
	}
	if conf.Database == "" {
		conf.Database = "postgres"
	}
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
	}
	conf.Options = q.Encode()
	return conf, nil
}

// startCluster starts the private cluster in a fresh directory under /tmp.
// Called with mu held.
func startCluster() error {
	dir, err := os.MkdirTemp("/tmp", dirPattern)
	if err != nil {
		return err
	}
	tmpDir = dir
	// The postgres OS user must traverse it when we run as root.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	lockFile = f

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	c, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: filepath.Join(dir, "cluster"), DBName: "postgres", NoSync: true})
	if err != nil {
		return err
	}
	cluster = c
	return nil
}

// shutdown stops the private cluster, if any, and removes its directory.
func shutdown() error {
	mu.Lock()
	defer mu.Unlock()
	var err error
	if cluster != nil {
		err = cluster.Stop()
		cluster = nil
	}
	if err == nil {
		cleanupDir()
	}
	resolved = false
	base, baseErr = pgtestdb.Config{}, nil
	return err
}

// cleanupDir removes the private cluster's directory and releases its lock.
// Called with mu held.
func cleanupDir() {
	if tmpDir != "" {
		_ = os.RemoveAll(tmpDir)
		tmpDir = ""
	}
	if lockFile != nil {
		_ = lockFile.Close()
		lockFile = nil
	}
}

// reapStale stops and removes private clusters whose owning test process
// died without calling Main's cleanup. A directory is stale when nobody
// holds the flock on its lock file; young directories are left alone so that
// a process between creating its directory and locking it is not disturbed.
func reapStale() {
	dirs, _ := filepath.Glob(filepath.Join("/tmp", dirPattern+"*"))
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil || !fi.IsDir() || time.Since(fi.ModTime()) < 30*time.Second {
			continue
		}
		f, err := os.Open(filepath.Join(dir, lockName))
		if err != nil {
			continue
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close() // its owner is alive
			continue
		}
		pgData := filepath.Join(dir, "cluster", "pgdata")
		if stopPostmaster(pgData) {
			_ = os.RemoveAll(dir)
		}
		f.Close()
	}
}

// stopPostmaster stops the server whose pid is in pgData's postmaster.pid,
// if it is still running on that data directory, and reports whether the
// directory is now free of a running server.
func stopPostmaster(pgData string) bool {
	b, err := os.ReadFile(filepath.Join(pgData, "postmaster.pid"))
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil || pid <= 0 {
		return true
	}
	// Only signal the process if it really is the postmaster of this data
	// directory.
	if !isPostmaster(pid, pgData) {
		return true
	}
	// SIGINT is postgres's "fast" shutdown.
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		return errors.Is(err, syscall.ESRCH)
	}
	for range 100 {
		if !isPostmaster(pid, pgData) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// isPostmaster reports whether pid is a live process whose command line
// names pgData (pg_ctl starts it as "postgres -D <pgdata> ..."). A process
// that is gone, a zombie (empty command line) or a reused pid is not.
func isPostmaster(pid int, pgData string) bool {
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return err == nil && strings.Contains(string(cmdline), pgData)
}
