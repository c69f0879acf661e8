package pgcluster

import (
	"context"
	"database/sql"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tempDir makes a directory under /tmp that the postgres OS user can
// traverse (t.TempDir may live under a 0700 directory when running as root).
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func selectOne(t *testing.T, url string) {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT 1").Scan(&n); err != nil {
		t.Fatalf("SELECT 1 on %s: %v", url, err)
	}
	if n != 1 {
		t.Fatalf("SELECT 1 returned %d", n)
	}
}

func TestStartStopRestart(t *testing.T) {
	dataDir := filepath.Join(tempDir(t), "data")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(testWriter{t}, nil))

	for round := 1; round <= 2; round++ {
		began := time.Now()
		c, err := Start(ctx, Config{DataDir: dataDir, DBName: "guildhall_pgcluster_test", Logger: logger})
		if err != nil {
			t.Fatalf("round %d: Start: %v", round, err)
		}
		t.Logf("round %d: started in %v on %s", round, time.Since(began), c.URL("guildhall_pgcluster_test"))
		u := c.URL("guildhall_pgcluster_test")
		if !strings.HasPrefix(u, "postgres://postgres@/guildhall_pgcluster_test?host=") {
			t.Errorf("unexpected URL %q", u)
		}
		selectOne(t, u)
		// The cluster people keep their data in listens on no TCP port and
		// writes what it commits to disk.
		for setting, want := range map[string]string{"listen_addresses": "", "fsync": "on", "synchronous_commit": "on", "unix_socket_permissions": "0700"} {
			if got := show(t, u, setting); got != want {
				t.Errorf("round %d: %s = %q, want %q", round, setting, got, want)
			}
		}
		if err := c.Stop(); err != nil {
			t.Fatalf("round %d: Stop: %v", round, err)
		}
		if err := c.Stop(); err != nil {
			t.Fatalf("round %d: second Stop: %v", round, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "postgres.log")); err != nil {
		t.Errorf("server log: %v", err)
	}
}

// TestStaleServerIsStopped starts a cluster and, without stopping it, starts
// again on the same data directory, as after a crash of the owning process.
func TestStaleServerIsStopped(t *testing.T) {
	dataDir := filepath.Join(tempDir(t), "data")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stale, err := Start(ctx, Config{DataDir: dataDir, NoSync: true})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	stale.release() // as if its process had died: the lock goes with it
	fresh, err := Start(ctx, Config{DataDir: dataDir, DBName: "again", NoSync: true})
	if err != nil {
		_ = stale.Stop()
		t.Fatalf("Start over a running server: %v", err)
	}
	defer fresh.Stop()
	selectOne(t, fresh.URL("again"))
	if got := show(t, fresh.URL("again"), "fsync"); got != "off" {
		t.Errorf("a NoSync cluster runs with fsync = %q, want off", got)
	}
}

// show returns a server setting.
func show(t *testing.T, url, setting string) string {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow("SELECT current_setting($1)", setting).Scan(&v); err != nil {
		t.Fatalf("SHOW %s: %v", setting, err)
	}
	return v
}

func TestFindBinDir(t *testing.T) {
	dir, err := FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	if !hasServerBinaries(dir) {
		t.Fatalf("%s lacks server binaries", dir)
	}
	t.Setenv("GUILDHALL_PG_BIN", t.TempDir())
	if _, err := FindBinDir(); err == nil {
		t.Fatal("FindBinDir accepted a GUILDHALL_PG_BIN without binaries")
	}
}

func TestUntraversableParent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Log("not root: the traversal check does not apply; checking checkTraversable directly")
	}
	parent := tempDir(t)
	if err := os.Chmod(parent, 0o700); err != nil {
		t.Fatal(err)
	}
	err := checkTraversable(filepath.Join(parent, "data"), 54321, map[uint32]bool{54321: true})
	if err == nil || !strings.Contains(err.Error(), parent) {
		t.Fatalf("want an error naming %s, got %v", parent, err)
	}
	open := tempDir(t)
	if err := checkTraversable(filepath.Join(open, "data"), 54321, map[uint32]bool{54321: true}); err != nil {
		t.Fatalf("%s should be traversable: %v", open, err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// freeTCPPort picks a loopback port nobody listens on now.
func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
