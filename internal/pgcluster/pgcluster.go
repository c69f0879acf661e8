// Package pgcluster runs a private PostgreSQL cluster owned by the current
// process: it initialises a data directory with initdb on first use, starts
// the server with pg_ctl, and stops it again.
//
// The server listens on no TCP port at all. Its only door is a Unix socket in
// DataDir/socket, a directory of mode 0700 owned by the server's OS user, and
// pg_hba.conf admits nothing but that socket. Whoever can enter the directory
// (the owner, and root) could read the data files anyway; every other local
// user is refused by the kernel before PostgreSQL sees them. That keeps
// "make run" free of passwords to generate, store and rotate, which a TCP
// listener with scram-sha-256 would need.
//
// initdb and postgres refuse to run as root. When the process runs as root
// (as it does in CI), the data directory is handed to the "postgres" OS user
// and the server binaries are run with that user's credentials; root still
// enters the 0700 socket directory, so guildhall reaches the server.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// pgUserName is the OS user that runs the server when we are root.
	pgUserName = "postgres"
	// readyTimeout bounds the wait for the server to accept connections.
	readyTimeout = 30 * time.Second
	// pgctlTimeout is passed to pg_ctl -t and bounds each start or stop.
	pgctlTimeout = 60
	// socketPort only names the socket file (.s.PGSQL.5432): nothing listens
	// on a TCP port, so it cannot clash with another server.
	socketPort = 5432
	// maxSocketDir keeps DIR/.s.PGSQL.5432 within a Unix socket address
	// (107 bytes on Linux); deeper data directories put the socket in a
	// private directory under /tmp instead.
	maxSocketDir = 90
)

// hbaConf is the whole of pg_hba.conf: the Unix socket, nothing else. Trust
// is safe there because only the server's OS user (and root) can enter the
// socket's directory. A host line would let local users in over TCP should
// someone start the server by hand with a listen address.
const hbaConf = `# Written by guildhall (internal/pgcluster): the only way in is the Unix
# socket in the 0700 directory named by unix_socket_directories, which only
# the server's OS user and root can enter. No TCP connection is accepted.
local all all trust
`

// Config says where and how to run a private cluster.
type Config struct {
	// DataDir holds the cluster (DataDir/pgdata), its socket directory and
	// its log; it is created with mode 0700.
	DataDir string
	// DBName is created when missing; empty creates none.
	DBName string
	// Logger may be nil.
	Logger *slog.Logger
	// NoSync gives up durability for speed (initdb --no-sync, fsync=off):
	// for test clusters only, whose data is thrown away. A crash of the
	// machine can lose or corrupt what such a cluster committed.
	NoSync bool
}

// Cluster is a running private PostgreSQL server started by Start, reachable
// only through its Unix socket.
type Cluster struct {
	binDir    string
	dataDir   string
	pgData    string
	logFile   string
	socketDir string
	tmpSocket bool // socketDir is a directory under /tmp we made and remove
	noSync    bool
	env       []string
	cred      *syscall.Credential // non-nil when the binaries run as another user
	logger    *slog.Logger

	// lock is held for the life of the owning process; a second process
	// (guildhall user add beside guildhall serve) finds it taken and attaches
	// to the running server instead of owning it.
	lock     *os.File
	attached bool

	mu      sync.Mutex
	stopped bool
}

// Start initialises cfg.DataDir on first use (initdb -E UTF8 --locale=C -U
// postgres), starts postgres with no TCP listener and its socket in
// DataDir/socket, waits until it accepts connections (up to about 30 s,
// honouring ctx), and creates database cfg.DBName if it does not exist.
//
// A data directory made by an earlier version (trust on 127.0.0.1, fsync
// off) is secured in place on its first start: pg_hba.conf is replaced and
// every file is flushed to disk (initdb --sync-only) before the server runs
// with fsync on. Its data is kept.
//
// When another process already owns a running cluster on DataDir (it holds
// DataDir/owner.lock), Start attaches to that server instead: URL works and
// Stop leaves the server alone.
//
// The server log goes to DataDir/postgres.log. A stale server left running
// by a crashed previous owner is stopped first (pg_ctl stop -m fast). When
// running as root, DataDir is chowned to the postgres OS user, whose
// credentials run the binaries; every parent of DataDir must be traversable
// by that user.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	began := time.Now()
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	binDir, err := FindBinDir()
	if err != nil {
		return nil, err
	}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: data directory: %w", err)
	}
	if err := makeDataDir(dataDir); err != nil {
		return nil, err
	}
	c := &Cluster{
		binDir:    binDir,
		dataDir:   dataDir,
		pgData:    filepath.Join(dataDir, "pgdata"),
		logFile:   filepath.Join(dataDir, "postgres.log"),
		socketDir: filepath.Join(dataDir, "socket"),
		noSync:    cfg.NoSync,
		logger:    logger,
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
	if err := makePrivateDir(c.socketDir); err != nil {
		return nil, err
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
		return c.attach(ctx, cfg.DBName)
	}
	c.lock = lock
	ok := false
	defer func() {
		if !ok {
			c.release()
		}
	}()

	existed := true
	if _, err := os.Stat(filepath.Join(c.pgData, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		existed = false
		initStart := time.Now()
		args := []string{"-D", c.pgData, "-A", "trust", "-E", "UTF8", "--locale=C", "-U", "postgres"}
		if c.noSync {
			args = append(args, "--no-sync")
		}
		if out, err := c.run(ctx, "initdb", args...); err != nil {
			return nil, fmt.Errorf("pgcluster: initdb %s: %w\n%s", c.pgData, err, out)
		}
		logger.Info("pgcluster: initialised cluster", "pgdata", c.pgData, "took", time.Since(initStart))
	} else if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}

	if err := c.stopStale(ctx); err != nil {
		return nil, err
	}
	if err := c.secure(ctx, existed); err != nil {
		return nil, err
	}
	if len(c.socketDir) > maxSocketDir {
		dir, err := os.MkdirTemp("/tmp", "guildhall-pg-")
		if err != nil {
			return nil, fmt.Errorf("pgcluster: socket directory: %w", err)
		}
		c.socketDir, c.tmpSocket = dir, true
		if err := c.chown(dir); err != nil {
			return nil, err
		}
	}
	if err := c.startServer(ctx); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx); err != nil {
		_ = c.Stop()
		return nil, err
	}
	if err := c.createDatabase(ctx, cfg.DBName); err != nil {
		_ = c.Stop()
		return nil, err
	}
	ok = true
	logger.Info("pgcluster: started", "socket", c.socketDir, "dataDir", dataDir, "fsync", !c.noSync, "took", time.Since(began))
	return c, nil
}

// URL returns a URL for database name on this cluster, understood by lib/pq
// and by libpq's tools (pg_dump, psql) alike:
// postgres://postgres@/NAME?host=SOCKETDIR&port=5432&sslmode=disable.
func (c *Cluster) URL(name string) string {
	q := url.Values{}
	q.Set("host", c.socketDir)
	q.Set("port", strconv.Itoa(socketPort))
	q.Set("sslmode", "disable")
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Path: "/" + name, RawQuery: q.Encode()}
	return u.String()
}

// SocketDir is the directory holding the server's Unix socket.
func (c *Cluster) SocketDir() string { return c.socketDir }

// attach joins the server another process owns on this data directory,
// reading its socket directory from postmaster.pid (line 5).
func (c *Cluster) attach(ctx context.Context, dbname string) (*Cluster, error) {
	b, err := os.ReadFile(filepath.Join(c.pgData, "postmaster.pid"))
	if err != nil {
		return nil, fmt.Errorf("pgcluster: another process owns %s but its server is not running: %w", c.dataDir, err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 5 || strings.TrimSpace(lines[4]) == "" {
		return nil, fmt.Errorf("pgcluster: the server running on %s has no Unix socket; stop it and start again", c.pgData)
	}
	c.socketDir = strings.TrimSpace(lines[4])
	c.attached = true
	if err := c.waitReady(ctx); err != nil {
		return nil, err
	}
	if err := c.createDatabase(ctx, dbname); err != nil {
		return nil, err
	}
	c.logger.Info("pgcluster: attached to the server another process runs", "socket", c.socketDir, "dataDir", c.dataDir)
	return c, nil
}

// release lets go of the owner lock and the socket directory under /tmp.
func (c *Cluster) release() {
	if c.tmpSocket {
		_ = os.RemoveAll(c.socketDir)
	}
	if c.lock != nil {
		c.lock.Close()
		c.lock = nil
	}
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
		if c.stopped {
			c.release()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), (pgctlTimeout+10)*time.Second)
	defer cancel()
	out, err := c.run(ctx, "pg_ctl", "stop", "-D", c.pgData, "-m", "fast", "-w", "-t", strconv.Itoa(pgctlTimeout))
	if err != nil {
		// A stop of a server that is already gone is not an error worth
		// reporting.
		if st, _ := c.run(ctx, "pg_ctl", "status", "-D", c.pgData); strings.Contains(st, "no server running") {
			c.stopped = true
			return nil
		}
		return fmt.Errorf("pgcluster: pg_ctl stop %s: %w\n%s", c.pgData, err, out)
	}
	c.stopped = true
	c.logger.Info("pgcluster: stopped", "socket", c.socketDir, "dataDir", c.dataDir)
	return nil
}

// Attached reports whether Start joined a server another process owns
// rather than starting one.
func (c *Cluster) Attached() bool { return c.attached }
