// Package pgcluster runs a private PostgreSQL cluster owned by the current
// process: it initialises a data directory with initdb on first use, starts
// the server on a free loopback TCP port with pg_ctl, and stops it again.
//
// initdb and postgres refuse to run as root. When the process runs as root
// (as it does in CI), the data directory is handed to the "postgres" OS user
// and the server binaries are run with that user's credentials.
package pgcluster

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// ErrNoPostgres is returned when no PostgreSQL server binaries can be found.
var ErrNoPostgres = errors.New("no PostgreSQL server binaries found: install PostgreSQL (e.g. apt-get install postgresql) or set DATABASE_URL")

// serverBinaries are the programs a bin directory must hold to be usable.
var serverBinaries = []string{"initdb", "pg_ctl", "postgres"}

const (
	// pgUserName is the OS user that runs the server when we are root.
	pgUserName = "postgres"
	// readyTimeout bounds the wait for the server to accept connections.
	readyTimeout = 30 * time.Second
	// pgctlTimeout is passed to pg_ctl -t and bounds each start or stop.
	pgctlTimeout = 60
	// startAttempts bounds retries when the chosen port was taken by
	// someone else between picking it and the server binding it.
	startAttempts = 3
)

// FindBinDir locates a directory with initdb, pg_ctl and postgres: $GUILDHALL_PG_BIN if set, else the directory of pg_ctl on PATH, else the highest-numbered /usr/lib/postgresql/*/bin. Returns ErrNoPostgres if none.
func FindBinDir() (string, error) {
	if dir := os.Getenv("GUILDHALL_PG_BIN"); dir != "" {
		if hasServerBinaries(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("GUILDHALL_PG_BIN=%s does not hold %s: %w",
			dir, strings.Join(serverBinaries, ", "), ErrNoPostgres)
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if dir := filepath.Dir(p); hasServerBinaries(dir) {
			return dir, nil
		}
		// pg_ctl on PATH may be a symlink into the real bin directory.
		if real, err := filepath.EvalSymlinks(p); err == nil {
			if dir := filepath.Dir(real); hasServerBinaries(dir) {
				return dir, nil
			}
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) float64 {
		v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		if err != nil {
			return -1
		}
		return v
	}
	slices.SortFunc(dirs, func(a, b string) int {
		va, vb := version(a), version(b)
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return strings.Compare(a, b)
	})
	for _, dir := range dirs {
		if hasServerBinaries(dir) {
			return dir, nil
		}
	}
	return "", ErrNoPostgres
}

func hasServerBinaries(dir string) bool {
	for _, name := range serverBinaries {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// Cluster is a running private PostgreSQL server started by Start. It listens
// on 127.0.0.1 only, with trust authentication for the "postgres" superuser.
type Cluster struct {
	binDir  string
	dataDir string
	pgData  string
	logFile string
	port    int
	env     []string
	cred    *syscall.Credential // non-nil when the binaries run as another user
	logger  *slog.Logger

	// lock is held for the life of the owning process; a second process
	// (guildhall user add beside guildhall serve) finds it taken and attaches
	// to the running server instead of owning it.
	lock     *os.File
	attached bool

	mu      sync.Mutex
	stopped bool
}

// Start initialises dataDir (a cluster directory is created at
// filepath.Join(dataDir, "pgdata") on first use with
// `initdb -A trust -E UTF8 --locale=C --no-sync -U postgres`), starts postgres
// on 127.0.0.1 on a free TCP port (picked by listening on 127.0.0.1:0 and
// closing), with unix sockets disabled (unix_socket_directories set to the
// empty string) and `-c listen_addresses=127.0.0.1 -c fsync=off
// -c max_connections=200`, waits until it accepts connections (polling with
// lib/pq, up to about 30 s, honouring ctx), and creates database dbname if it
// does not exist (an empty dbname creates none).
//
// When another process already owns a running cluster on dataDir (it holds
// dataDir/owner.lock), Start attaches to that server instead: URL works and
// Stop leaves the server alone.
//
// The server log goes to filepath.Join(dataDir, "postgres.log"). If a stale
// server from a crashed previous run is still running on that data directory
// (postmaster.pid present and pg_ctl status says running), it is stopped first
// with `pg_ctl stop -m fast`. When running as root, dataDir is chowned to the
// postgres OS user, whose credentials run the binaries; every parent of
// dataDir must be traversable by that user. logger may be nil.
func Start(ctx context.Context, dataDir, dbname string, logger *slog.Logger) (*Cluster, error) {
	began := time.Now()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	binDir, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	dataDir, err = filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: data directory: %w", err)
	}
	if err := makeDataDir(dataDir); err != nil {
		return nil, err
	}
	c := &Cluster{
		binDir:  binDir,
		dataDir: dataDir,
		pgData:  filepath.Join(dataDir, "pgdata"),
		logFile: filepath.Join(dataDir, "postgres.log"),
		logger:  logger,
	}
	c.env = []string{
		"PATH=" + binDir + ":/usr/local/bin:/usr/bin:/bin",
		"LANG=C",
		"LC_ALL=C",
		"HOME=" + dataDir,
	}
	if tz, ok := os.LookupEnv("TZ"); ok {
		c.env = append(c.env, "TZ="+tz)
	}
	if os.Geteuid() == 0 {
		if err := c.prepareForPostgresUser(); err != nil {
			return nil, err
		}
	}

	lock, err := os.OpenFile(filepath.Join(dataDir, "owner.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return c.attach(ctx, dbname)
	}
	c.lock = lock

	if _, err := os.Stat(filepath.Join(c.pgData, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		initStart := time.Now()
		out, err := c.run(ctx, "initdb", "-D", c.pgData, "-A", "trust", "-E", "UTF8",
			"--locale=C", "--no-sync", "-U", "postgres")
		if err != nil {
			return nil, fmt.Errorf("pgcluster: initdb %s: %w\n%s", c.pgData, err, out)
		}
		logger.Info("pgcluster: initialised cluster", "pgdata", c.pgData, "took", time.Since(initStart))
	} else if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}

	if err := c.stopStale(ctx); err != nil {
		return nil, err
	}

	var lastErr error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		retry, err := c.startServer(ctx)
		if err == nil {
			lastErr = nil
			break
		}
		lastErr = err
		if !retry || ctx.Err() != nil {
			break
		}
		logger.Warn("pgcluster: port was taken, retrying", "port", c.port, "attempt", attempt)
	}
	if lastErr != nil {
		return nil, lastErr
	}

	if err := c.waitReady(ctx); err != nil {
		_ = c.Stop()
		return nil, err
	}
	if err := c.createDatabase(ctx, dbname); err != nil {
		_ = c.Stop()
		return nil, err
	}
	logger.Info("pgcluster: started", "port", c.port, "dataDir", dataDir, "took", time.Since(began))
	return c, nil
}

// makeDataDir creates dataDir with mode 0700. Missing parents are created
// with mode 0755 so that the postgres user can still traverse them.
func makeDataDir(dataDir string) error {
	if err := os.MkdirAll(filepath.Dir(dataDir), 0o755); err != nil {
		return fmt.Errorf("pgcluster: create parent of data directory: %w", err)
	}
	if err := os.Mkdir(dataDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("pgcluster: create data directory: %w", err)
	}
	fi, err := os.Stat(dataDir)
	if err != nil {
		return fmt.Errorf("pgcluster: data directory: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("pgcluster: data directory %s is not a directory", dataDir)
	}
	// The directory is chowned recursively when running as root: refuse
	// shared directories such as /tmp itself.
	if fi.Mode()&os.ModeSticky != 0 || filepath.Dir(dataDir) == dataDir {
		return fmt.Errorf("pgcluster: data directory %s looks shared (root or sticky bit); use a dedicated directory", dataDir)
	}
	return nil
}

// prepareForPostgresUser sets up running the binaries as the postgres OS
// user: it checks that the user can reach the data directory and hands the
// directory over to it.
func (c *Cluster) prepareForPostgresUser() error {
	u, err := user.Lookup(pgUserName)
	if err != nil {
		return fmt.Errorf("pgcluster: running as root, so the server must run as the %q OS user, but looking it up failed: %w", pgUserName, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return fmt.Errorf("pgcluster: uid of %q: %w", pgUserName, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return fmt.Errorf("pgcluster: gid of %q: %w", pgUserName, err)
	}
	groups := map[uint32]bool{uint32(gid): true}
	var extra []uint32
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				groups[uint32(g)] = true
				if uint32(g) != uint32(gid) {
					extra = append(extra, uint32(g))
				}
			}
		}
	}
	if err := checkTraversable(c.dataDir, uint32(uid), groups); err != nil {
		return err
	}
	err = filepath.WalkDir(c.dataDir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(uid), int(gid))
	})
	if err != nil {
		return fmt.Errorf("pgcluster: chown %s to %s: %w", c.dataDir, pgUserName, err)
	}
	c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: extra}
	return nil
}

// checkTraversable reports an error naming the first ancestor of dir that
// the given user cannot search (execute permission on a directory).
func checkTraversable(dir string, uid uint32, groups map[uint32]bool) error {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok {
			perm := fi.Mode().Perm()
			var can bool
			switch {
			case st.Uid == uid:
				can = perm&0o100 != 0
			case groups[st.Gid]:
				can = perm&0o010 != 0
			default:
				can = perm&0o001 != 0
			}
			if !can {
				return fmt.Errorf("pgcluster: running as root, so the server runs as the %q OS user, "+
					"but it cannot traverse %s (mode %v, owner uid %d, gid %d) to reach data directory %s; "+
					"put the data directory somewhere it can reach, e.g. a directory made with os.MkdirTemp(\"/tmp\", ...) and chmod 0755",
					pgUserName, p, perm, st.Uid, st.Gid, dir)
			}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// command builds a command running one of the server binaries, as the
// postgres user when we are root, with a minimal environment and the data
// directory as working directory (the process must be able to reach it).
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, name), args...)
	cmd.Env = c.env
	cmd.Dir = c.dataDir
	cmd.WaitDelay = 5 * time.Second
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// run runs a server binary and returns its combined output.
func (c *Cluster) run(ctx context.Context, name string, args ...string) (string, error) {
	var buf bytes.Buffer
	cmd := c.command(ctx, name, args...)
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	return strings.TrimSpace(buf.String()), err
}

// stopStale stops a server left running on this data directory by a
// previous process that did not shut it down.
func (c *Cluster) stopStale(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(c.pgData, "postmaster.pid")); err != nil {
		return nil
	}
	// pg_ctl status exits 0 when a server is running, 3 when not.
	if _, err := c.run(ctx, "pg_ctl", "status", "-D", c.pgData); err != nil {
		return nil
	}
	c.logger.Warn("pgcluster: stopping stale server left running on data directory", "pgdata", c.pgData)
	out, err := c.run(ctx, "pg_ctl", "stop", "-D", c.pgData, "-m", "fast", "-w", "-t", strconv.Itoa(pgctlTimeout))
	if err != nil {
		return fmt.Errorf("pgcluster: stop stale server on %s: %w\n%s", c.pgData, err, out)
	}
	return nil
}

// startServer picks a free port and runs pg_ctl start. retry reports
// whether the failure looks like a lost race for the port.
func (c *Cluster) startServer(ctx context.Context) (retry bool, err error) {
	port, err := freePort()
	if err != nil {
		return false, fmt.Errorf("pgcluster: pick a port: %w", err)
	}
	c.port = port
	var logOffset int64
	if fi, err := os.Stat(c.logFile); err == nil {
		logOffset = fi.Size()
	}
	opts := strings.Join([]string{
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=''",
		"-c", "fsync=off",
		"-c", "max_connections=200",
	}, " ")
	out, err := c.run(ctx, "pg_ctl", "start", "-D", c.pgData, "-w", "-t", strconv.Itoa(pgctlTimeout),
		"-l", c.logFile, "-o", opts)
	if err == nil {
		return false, nil
	}
	logTail := readFrom(c.logFile, logOffset)
	retry = strings.Contains(logTail, "could not bind") || strings.Contains(logTail, "Address already in use")
	// pg_ctl may have given up waiting while the server still came up.
	_, _ = c.run(context.Background(), "pg_ctl", "stop", "-D", c.pgData, "-m", "immediate", "-w", "-t", "10")
	return retry, fmt.Errorf("pgcluster: pg_ctl start on port %d: %w\n%s\nserver log %s:\n%s",
		port, err, out, c.logFile, logTail)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, err
	}
	return port, nil
}

// readFrom returns the end of a file from offset, at most 8 KiB of it.
func readFrom(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read: %v)", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size()-offset > 8<<10 {
		offset = fi.Size() - 8<<10
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return fmt.Sprintf("(cannot read: %v)", err)
	}
	b, _ := io.ReadAll(f)
	return strings.TrimSpace(string(b))
}

// waitReady polls the server until it accepts connections.
func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	defer db.Close()
	for {
		pingCtx, pingCancel := context.WithTimeout(ctx, 2*time.Second)
		err = db.PingContext(pingCtx)
		pingCancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgcluster: server on port %d did not accept connections: %w (last error: %v)\nserver log %s:\n%s",
				c.port, ctx.Err(), err, c.logFile, readFrom(c.logFile, 0))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// createDatabase creates database name unless it already exists.
func (c *Cluster) createDatabase(ctx context.Context, name string) error {
	if name == "" {
		return nil
	}
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("pgcluster: check database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return fmt.Errorf("pgcluster: create database %q: %w", name, err)
	}
	return nil
}

// URL returns a lib/pq URL for database name on this cluster: postgres://postgres@127.0.0.1:PORT/NAME?sslmode=disable
func (c *Cluster) URL(name string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + name,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// attach joins the server another process owns on this data directory,
// reading its port from postmaster.pid (line 4).
func (c *Cluster) attach(ctx context.Context, dbname string) (*Cluster, error) {
	b, err := os.ReadFile(filepath.Join(c.pgData, "postmaster.pid"))
	if err != nil {
		return nil, fmt.Errorf("pgcluster: another process owns %s but its server is not running: %w", c.dataDir, err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return nil, fmt.Errorf("pgcluster: cannot read the port of the server running on %s", c.pgData)
	}
	if c.port, err = strconv.Atoi(strings.TrimSpace(lines[3])); err != nil {
		return nil, fmt.Errorf("pgcluster: port of the server running on %s: %w", c.pgData, err)
	}
	c.attached = true
	if err := c.waitReady(ctx); err != nil {
		return nil, err
	}
	if err := c.createDatabase(ctx, dbname); err != nil {
		return nil, err
	}
	c.logger.Info("pgcluster: attached to the server another process runs", "port", c.port, "dataDir", c.dataDir)
	return c, nil
}

// Stop stops the server (pg_ctl stop -m fast -w) and is safe to call twice.
// A cluster that attached to another process's server leaves it running.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	if c.attached {
		c.stopped = true
		return nil
	}
	defer func() {
		if c.stopped && c.lock != nil {
			c.lock.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), (pgctlTimeout+10)*time.Second)
	defer cancel()
	out, err := c.run(ctx, "pg_ctl", "stop", "-D", c.pgData, "-m", "fast", "-w", "-t", strconv.Itoa(pgctlTimeout))
	if err != nil {
		// Exit status 3 from "pg_ctl status" means not running; a stop of a
		// server that is already gone is not an error worth reporting.
		if st, _ := c.run(ctx, "pg_ctl", "status", "-D", c.pgData); strings.Contains(st, "no server running") {
			c.stopped = true
			return nil
		}
		return fmt.Errorf("pgcluster: pg_ctl stop %s: %w\n%s", c.pgData, err, out)
	}
	c.stopped = true
	c.logger.Info("pgcluster: stopped", "port", c.port, "dataDir", c.dataDir)
	return nil
}
