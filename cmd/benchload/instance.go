package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// instance is one Guildhall binary serving its own copy of the seeded
// database, with the sessions and tokens the run acts with.
type instance struct {
	label, bin, dbURL, base string
	metrics                 string // the metrics (and pprof) address; empty when not profiling
	cmd                     *exec.Cmd
	db                      *sql.DB
	member, admin           actor
}

// actor is a signed-in account: a session cookie for pages, a token for
// the API.
type actor struct {
	name, email, cookie, token string
}

// start runs bin serve on a free port against dbURL, with the API's
// per-token limit out of the way, and waits until it is ready.
func start(ctx context.Context, label, bin, dbURL, logPath string, profiling bool) (*instance, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	var metricsAddr string
	if profiling {
		mport, err := freePort()
		if err != nil {
			return nil, err
		}
		metricsAddr = "127.0.0.1:" + strconv.Itoa(mport)
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	in := &instance{label: label, bin: bin, dbURL: dbURL, base: "http://127.0.0.1:" + strconv.Itoa(port), metrics: metricsAddr}
	in.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:"+strconv.Itoa(port), "--database-url", dbURL)
	in.cmd.Env = append(os.Environ(), "GUILDHALL_API_RATE_LIMIT=1000000", "GUILDHALL_API_BURST=1000000", "GUILDHALL_METRICS_ADDR="+metricsAddr)
	in.cmd.Stdout, in.cmd.Stderr = logf, logf
	if err := in.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	in.db, err = sql.Open("postgres", dbURL)
	if err != nil {
		in.stop()
		return nil, err
	}
	deadline := time.Now().Add(5 * time.Minute) // the first start migrates a million rows
	for {
		resp, err := http.Get(in.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return in, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			in.stop()
			return nil, fmt.Errorf("%s did not become ready (see %s)", bin, logPath)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (in *instance) stop() {
	if in.db != nil {
		in.db.Close()
	}
	if in.cmd != nil && in.cmd.Process != nil {
		_ = in.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = in.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = in.cmd.Process.Kill()
		}
	}
}

// signIn signs email in through the sign-in form and makes an API token
// with the binary's own token command.
func (in *instance) signIn(ctx context.Context, name, email, password string) (actor, error) {
	a := actor{name: name, email: email}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	form := url.Values{"email": {email}, "password": {password}, "next": {"/"}}
	resp, err := c.PostForm(in.base+"/login", form)
	if err != nil {
		return a, err
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "guildhall_session" && ck.Value != "" {
			a.cookie = ck.Name + "=" + ck.Value
		}
	}
	if a.cookie == "" {
		return a, fmt.Errorf("sign in as %s: status %d and no session", email, resp.StatusCode)
	}
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, in.bin, "token", "create", "--database-url", in.dbURL, "--email", email, "--name", "bench-load")
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return a, fmt.Errorf("token create for %s: %w: %s", email, err, errb.String())
	}
	a.token = strings.TrimSpace(out.String())
	if a.token == "" {
		return a, errors.New("token create printed no token")
	}
	return a, nil
}

// profile records a CPU profile of the server for about d into
// dir/<label>-<name>.pprof, in the background; the function it returns
// waits for it. It does nothing when dir is empty.
func (in *instance) profile(ctx context.Context, dir, name string, d time.Duration) (wait func()) {
	if dir == "" || in.metrics == "" {
		return func() {}
	}
	file := filepath.Join(dir, in.label+"-"+strings.Trim(nonWord.ReplaceAllString(name, "-"), "-")+".pprof")
	done := make(chan struct{})
	go func() {
		defer close(done)
		secs := max(1, int(d.Seconds()))
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", in.metrics, secs), nil)
		if err != nil {
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, "profile:", err)
			return
		}
		defer resp.Body.Close()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return
		}
		f, err := os.Create(file)
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = io.Copy(f, resp.Body)
	}()
	return func() { <-done }
}

var nonWord = regexp.MustCompile(`[^A-Za-z0-9]+`)

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	return port, ln.Close()
}
