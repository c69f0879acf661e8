package pgcluster

import (
	"context"
	"database/sql"
	"log/slog"
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
		c, err := Start(ctx, dataDir, "guildhall_pgcluster_test", logger)
		if err != nil {
			t.Fatalf("round %d: Start: %v", round, err)
		}
		t.Logf("round %d: started in %v on %s", round, time.Since(began), c.URL("guildhall_pgcluster_test"))
		u := c.URL("guildhall_pgcluster_test")
		if !strings.HasPrefix(u, "postgres://postgres@127.0.0.1:") || !strings.HasSuffix(u, "/guildhall_pgcluster_test?sslmode=disable") {
			t.Errorf("unexpected URL %q", u)
		}
		selectOne(t, u)
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
	stale, err := Start(ctx, dataDir, "", nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	fresh, err := Start(ctx, dataDir, "again", nil)
	if err != nil {
		_ = stale.Stop()
		t.Fatalf("Start over a running server: %v", err)
	}
	defer fresh.Stop()
	selectOne(t, fresh.URL("again"))
	db, err := sql.Open("postgres", stale.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err == nil && stale.port != fresh.port {
		t.Errorf("stale server on port %d still accepts connections", stale.port)
	}
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
