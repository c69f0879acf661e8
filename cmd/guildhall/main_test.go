package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the guildhall command built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "guildhall-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "guildhall")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build guildhall:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// environ is this process's environment without any Guildhall or database
// setting, plus extra (NAME=value).
func environ(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "DATABASE_URL" || strings.HasPrefix(name, "GUILDHALL_") || name == "PATH" && hasName(extra, "PATH") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func hasName(kvs []string, name string) bool {
	for _, kv := range kvs {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

// syncBuffer collects a process's output while it runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// dataDir returns a fresh data directory whose parents the postgres OS user
// can traverse (the cluster runs as that user when the tests run as root).
// Whatever server is left running on it is stopped when the test ends.
func dataDir(t *testing.T) string {
	t.Helper()
	parent, err := os.MkdirTemp("/tmp", "guildhall-cmd-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, "data")
	t.Cleanup(func() {
		if pid, ok := postmasterPID(dir); ok {
			t.Errorf("a PostgreSQL server (pid %d) was left running on %s; stopping it", pid, dir)
			syscall.Kill(pid, syscall.SIGINT)
			waitFor(t, 30*time.Second, "the leftover server to stop", func() bool {
				_, running := postmasterPID(dir)
				return !running
			})
		}
		os.RemoveAll(parent)
	})
	return dir
}

// postmasterPID returns the pid of the PostgreSQL server running on
// dataDir's cluster, if one is.
func postmasterPID(dataDir string) (int, bool) {
	pgData := filepath.Join(dataDir, "pgdata")
	b, err := os.ReadFile(filepath.Join(pgData, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil || pid <= 0 {
		return 0, false
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return pid, err == nil && strings.Contains(string(cmdline), pgData)
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runGuildhall runs a command to its end and returns its output and exit code.
func runGuildhall(t *testing.T, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("run guildhall %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), code
}

func TestServeWithPrivateCluster(t *testing.T) {
	dir := dataDir(t)
	addr := freeAddr(t)
	origin := "http://" + addr
	env := environ()

	began := time.Now()
	serve := exec.Command(binary, "serve", "--addr", addr, "--data-dir", dir)
	serve.Env = env
	logs := &syncBuffer{}
	serve.Stdout, serve.Stderr = logs, logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	var exitErr error
	done := false
	t.Cleanup(func() {
		if !done {
			serve.Process.Kill()
			<-exited
		}
	})
	processExited := func() bool {
		if done {
			return true
		}
		select {
		case exitErr = <-exited:
			done = true
		default:
		}
		return done
	}

	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	waitFor(t, 2*time.Minute, "/readyz to answer 200", func() bool {
		if processExited() {
			t.Fatalf("guildhall serve exited early (%v):\n%s", exitErr, logs)
		}
		res, err := client.Get(origin + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	t.Logf("serve ready after %v (initdb, start, migrate)", time.Since(began).Round(time.Millisecond))
	if _, running := postmasterPID(dir); !running {
		t.Fatalf("no PostgreSQL server runs on %s while serve runs", dir)
	}

	// With no accounts, the log tells how to make the first site admin,
	// naming this data directory.
	if !strings.Contains(logs.String(), "user add --email") || !strings.Contains(logs.String(), "--site-admin") ||
		!strings.Contains(logs.String(), dir) {
		t.Errorf("the log does not say how to create the first site admin for %s:\n%s", dir, logs)
	}

	// user add works against the same data directory while serve owns it.
	stdout, stderr, code := runGuildhall(t, env, "a long password\n",
		"user", "add", "--email", "admin@example.com", "--name", "Site Admin", "--password-stdin", "--site-admin", "--data-dir", dir)
	if code != 0 || !strings.Contains(stdout, "site admin") || !strings.Contains(stdout, "admin@example.com") {
		t.Fatalf("user add while serving: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if processExited() {
		t.Fatalf("serve exited after user add attached to its cluster (%v):\n%s", exitErr, logs)
	}

	// token create prints only the token on standard output (for
	// TOKEN=$(guildhall token create …)), and the token works on the API.
	stdout, stderr, code = runGuildhall(t, env, "",
		"token", "create", "--email", "admin@example.com", "--name", "ops", "--elevated", "--data-dir", dir)
	token := strings.TrimSuffix(stdout, "\n")
	if code != 0 || !strings.HasPrefix(token, "gh_") || strings.ContainsAny(token, " \n") {
		t.Fatalf("token create: exit %d\nstdout: %q\nstderr: %s", code, stdout, stderr)
	}
	apiReq, err := http.NewRequest(http.MethodGet, origin+"/api/v1/settings", nil)
	if err != nil {
		t.Fatal(err)
	}
	apiReq.Header.Set("Authorization", "Bearer "+token)
	apiRes, err := client.Do(apiReq)
	if err != nil {
		t.Fatal(err)
	}
	apiRes.Body.Close()
	if apiRes.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/settings with the new token: status %d, want 200", apiRes.StatusCode)
	}
	_, stderr, code = runGuildhall(t, env, "", "token", "create", "--email", "nobody@example.com", "--name", "x", "--data-dir", dir)
	if code == 0 || !strings.Contains(stderr, "nobody@example.com") && !strings.Contains(strings.ToLower(stderr), "not found") {
		t.Errorf("token create for an unknown email: exit %d, stderr %s", code, stderr)
	}

	// The new account signs in over HTTP.
	req, err := http.NewRequest(http.MethodPost, origin+"/login", strings.NewReader(url.Values{
		"email": {"admin@example.com"}, "password": {"a long password"}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/groups" || len(res.Cookies()) == 0 {
		t.Fatalf("sign in: status %d Location %q cookies %v, want 303 to /groups with a session", res.StatusCode, res.Header.Get("Location"), res.Cookies())
	}
	if res.Header.Get("X-Request-ID") == "" {
		t.Error("response has no X-Request-ID")
	}

	// SIGTERM while a request is in flight: the request is answered (the
	// database still up), then the process exits 0 and stops its cluster.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := url.Values{"email": {"admin@example.com"}, "password": {"a long password"}}.Encode()
	// "Expect: 100-continue" makes the server say when the handler starts
	// reading the body: from then on the request is surely in flight (a
	// connection still in the listener's backlog would be reset instead).
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
		addr, origin, len(body))
	answers := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	cont, err := http.ReadResponse(answers, nil)
	if err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("waiting for 100 Continue: %v %v", cont, err)
	}
	stopAt := time.Now()
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "serve to log that it is shutting down", func() bool {
		return strings.Contains(logs.String(), "shutting down")
	})
	if _, err := conn.Write([]byte(body)); err != nil {
		t.Fatalf("finish the in-flight request: %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	inflight, err := http.ReadResponse(answers, nil)
	if err != nil {
		t.Fatalf("in-flight request during shutdown got no answer: %v\n%s", err, logs)
	}
	inflight.Body.Close()
	if inflight.StatusCode != http.StatusSeeOther || len(inflight.Cookies()) == 0 {
		t.Errorf("in-flight sign-in during shutdown: status %d, want 303 with a session", inflight.StatusCode)
	}
	select {
	case exitErr = <-exited:
		done = true
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not exit within 30 s of SIGTERM:\n%s", logs)
	}
	t.Logf("serve stopped %v after SIGTERM", time.Since(stopAt).Round(time.Millisecond))
	if exitErr != nil {
		t.Fatalf("serve after SIGTERM: %v, want exit status 0:\n%s", exitErr, logs)
	}
	if pid, running := postmasterPID(dir); running {
		t.Errorf("PostgreSQL (pid %d) still runs on %s after serve exited", pid, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "pgdata", "postmaster.pid")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("postmaster.pid still there after serve exited (err %v)", err)
	}

	// Every line serve logged is JSON; requests have access-log lines.
	var sawAccess bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		if m["msg"] == "request" && m["route"] == "POST /login" && m["status"] == float64(303) && m["request_id"] == res.Header.Get("X-Request-ID") {
			sawAccess = true
		}
	}
	if !sawAccess {
		t.Errorf("no access-log line for the sign-in request:\n%s", logs)
	}

	// migrate restarts the existing cluster, finds nothing to do, and stops it.
	stdout, stderr, code = runGuildhall(t, env, "", "migrate", "--data-dir", dir)
	if code != 0 || !strings.Contains(stdout, "up to date") {
		t.Fatalf("migrate after serve: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if pid, running := postmasterPID(dir); running {
		t.Errorf("PostgreSQL (pid %d) still runs on %s after migrate", pid, dir)
	}
}

func TestMissingPostgresIsOneClearLine(t *testing.T) {
	emptyPath := t.TempDir()
	emptyPGBin := t.TempDir()
	// GUILDHALL_PG_BIN wins over PATH and /usr/lib/postgresql/*/bin in
	// pgcluster.FindBinDir, so pointing it at an empty directory leaves no
	// server binaries to find even where PostgreSQL is installed.
	env := environ("PATH="+emptyPath, "GUILDHALL_PG_BIN="+emptyPGBin)
	dir := filepath.Join(t.TempDir(), "data")

	for _, args := range [][]string{
		{"serve", "--addr", freeAddr(t), "--data-dir", dir},
		{"migrate", "--data-dir", dir},
		{"user", "add", "--email", "a@example.com", "--name", "A", "--password", "a long password", "--data-dir", dir},
	} {
		t.Run(args[0], func(t *testing.T) {
			stdout, stderr, code := runGuildhall(t, env, "", args...)
			if code == 0 {
				t.Fatalf("exit status 0, want failure\nstdout: %s\nstderr: %s", stdout, stderr)
			}
			msg := strings.TrimSuffix(stderr, "\n")
			t.Logf("stderr: %s", msg)
			if msg == "" || strings.Contains(msg, "\n") {
				t.Errorf("stderr is %d lines, want exactly one:\n%s", strings.Count(stderr, "\n"), stderr)
			}
			for _, want := range []string{"DATABASE_URL", "install PostgreSQL"} {
				if !strings.Contains(msg, want) {
					t.Errorf("stderr does not mention %q: %s", want, msg)
				}
			}
			for _, bad := range []string{"goroutine", "panic"} {
				if strings.Contains(stderr, bad) {
					t.Errorf("stderr has %q: %s", bad, stderr)
				}
			}
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the data directory was created although nothing can run in it (err %v)", err)
			}
		})
	}
}
