package pgcluster

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOtherUsersCannotConnect runs psql as the "nobody" OS user against the
// private cluster's socket and wants it refused, while the same psql run by
// us gets in. Switching users needs root (CI runs as root); as anyone else
// the test checks what the kernel's refusal rests on: the socket directory
// is ours alone and no TCP port is open.
func TestOtherUsersCannotConnect(t *testing.T) {
	dataDir := filepath.Join(tempDir(t), "data")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, Config{DataDir: dataDir, DBName: "guildhall"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()

	if got := show(t, c.URL("guildhall"), "listen_addresses"); got != "" {
		t.Errorf("listen_addresses = %q, want no TCP listener", got)
	}
	fi, err := os.Stat(c.SocketDir())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("socket directory %s has mode %v, want 0700", c.SocketDir(), fi.Mode().Perm())
	}
	hba, err := os.ReadFile(filepath.Join(dataDir, "pgdata", "pg_hba.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if string(hba) != hbaConf {
		t.Errorf("pg_hba.conf admits more than the socket:\n%s", hba)
	}

	psql, err := Tool("psql")
	if err != nil {
		t.Fatal(err)
	}
	conninfo := fmt.Sprintf("host=%s port=%d user=postgres dbname=guildhall connect_timeout=5", c.SocketDir(), socketPort)
	query := "SELECT current_user || '|' || current_setting('is_superuser')"
	out, err := exec.CommandContext(ctx, psql, "-XAtc", query, conninfo).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "postgres|on" {
		t.Fatalf("psql as the owner: %v\n%s", err, out)
	}
	if os.Geteuid() != 0 {
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Geteuid() {
			t.Errorf("socket directory is not owned by us")
		}
		t.Log("not root, so psql cannot run as another user here; the directory's mode and owner are what refuses them")
		return
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.ParseUint(nobody.Uid, 10, 32)
	gid, _ := strconv.ParseUint(nobody.Gid, 10, 32)
	cmd := exec.CommandContext(ctx, psql, "-XAtc", query, conninfo)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=/", "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err = cmd.CombinedOutput()
	t.Logf("psql as nobody: %v: %s", err, bytes.TrimSpace(out))
	if err == nil {
		t.Fatalf("nobody connected to the private cluster: %s", out)
	}
	if !strings.Contains(string(out), "Permission denied") {
		t.Errorf("nobody was refused, but not by the socket's permissions: %s", out)
	}
}

// TestAcknowledgedWritesSurviveSIGKILL kills every process of the cluster
// with SIGKILL while rows are being inserted, starts it again, and wants
// every insert whose commit was acknowledged there.
func TestAcknowledgedWritesSurviveSIGKILL(t *testing.T) {
	dataDir := filepath.Join(tempDir(t), "data")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cfg := Config{DataDir: dataDir, DBName: "guildhall"}
	c, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", c.URL("guildhall"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE acks (id int PRIMARY KEY, payload text NOT NULL)`); err != nil {
		t.Fatal(err)
	}

	const killAfter = 300
	killed := make(chan error, 1)
	var acked []int
	for id := 1; ; id++ {
		if id == killAfter {
			go func() { killed <- killCluster(c.pgData) }()
		}
		if _, err := db.Exec(`INSERT INTO acks (id, payload) VALUES ($1, repeat('x', 512))`, id); err != nil {
			t.Logf("insert %d failed once the cluster was killed: %v", id, err)
			break
		}
		acked = append(acked, id)
		if id > 1_000_000 {
			t.Fatal("the cluster was never killed")
		}
	}
	db.Close()
	if err := <-killed; err != nil {
		t.Fatal(err)
	}
	c.release() // the owner "died" with its cluster

	c, err = Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start after SIGKILL: %v", err)
	}
	defer c.Stop()
	db, err = sql.Open("postgres", c.URL("guildhall"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	present := map[int]bool{}
	rows, err := db.Query(`SELECT id FROM acks`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		present[id] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var missing []int
	for _, id := range acked {
		if !present[id] {
			missing = append(missing, id)
		}
	}
	t.Logf("%d inserts acknowledged before the kill, %d rows after restart", len(acked), len(present))
	if len(missing) > 0 {
		t.Errorf("%d acknowledged inserts are gone after the restart, first %d", len(missing), missing[0])
	}
}

// killCluster stops the postmaster of pgData (so it forks nothing new),
// SIGKILLs every child of it and then it, and waits until all are gone.
func killCluster(pgData string) error {
	b, err := os.ReadFile(filepath.Join(pgData, "postmaster.pid"))
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return err
	}
	procs := append(childrenOf(pid), pid)
	for _, p := range procs {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	deadline := time.Now().Add(time.Minute)
	for _, p := range procs {
		for alive(p) {
			if time.Now().After(deadline) {
				return fmt.Errorf("process %d outlived SIGKILL", p)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	var kids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, _, ok := procStat(p); ok && ppid == pid {
			kids = append(kids, p)
		}
	}
	return kids
}

// alive reports whether pid is still in the process table. A zombie counts:
// pg_ctl takes a postmaster.pid naming it for a running server until init
// has reaped it, as it soon does.
func alive(pid int) bool {
	_, _, ok := procStat(pid)
	return ok
}

// procStat reads a process's parent and state from /proc/PID/stat.
func procStat(pid int) (ppid int, state string, ok bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, "", false
	}
	// The command name may hold spaces; the fields after it do not.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, "", false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, "", false
	}
	ppid, err = strconv.Atoi(f[1])
	return ppid, f[0], err == nil
}

// TestEarlierDataDirIsSecured makes a data directory as the previous version
// did (trust on 127.0.0.1, fsync off), puts a row in it over TCP, and starts
// it with Start: the row is still there and TCP is gone.
func TestEarlierDataDirIsSecured(t *testing.T) {
	dataDir := filepath.Join(tempDir(t), "data")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Start(ctx, Config{DataDir: dataDir, DBName: "guildhall", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	// The previous version: initdb -A trust's pg_hba.conf, TCP only.
	old := "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n"
	if err := os.WriteFile(filepath.Join(c.pgData, "pg_hba.conf"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.chown(filepath.Join(c.pgData, "pg_hba.conf")); err != nil {
		t.Fatal(err)
	}
	port := freeTCPPort(t)
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off", port)
	if out, err := c.run(ctx, "pg_ctl", "start", "-D", c.pgData, "-w", "-l", c.logFile, "-o", opts); err != nil {
		t.Fatalf("start the old way: %v\n%s", err, out)
	}
	tcpURL := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/guildhall?sslmode=disable", port)
	old1, err := sql.Open("postgres", tcpURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old1.Exec(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('from before')`); err != nil {
		t.Fatal(err)
	}
	old1.Close()
	if out, err := c.run(ctx, "pg_ctl", "stop", "-D", c.pgData, "-m", "fast", "-w"); err != nil {
		t.Fatalf("stop the old way: %v\n%s", err, out)
	}

	c, err = Start(ctx, Config{DataDir: dataDir, DBName: "guildhall"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	db, err := sql.Open("postgres", c.URL("guildhall"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow(`SELECT v FROM kept`).Scan(&v); err != nil || v != "from before" {
		t.Fatalf("the earlier row: %q, %v", v, err)
	}
	for setting, want := range map[string]string{"listen_addresses": "", "fsync": "on"} {
		if got := show(t, c.URL("guildhall"), setting); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	tcp, err := sql.Open("postgres", tcpURL)
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	if err := tcp.Ping(); err == nil {
		t.Error("the secured cluster still answers on 127.0.0.1")
	} else if !errors.Is(err, syscall.ECONNREFUSED) && !strings.Contains(err.Error(), "refused") {
		t.Logf("TCP connection failed with %v", err)
	}
}
