package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/internal/pgcluster"
	"guildhall/internal/postgres"
)

// TestServeMetricsAndDrain serves with --metrics-addr and a drain delay:
// the metrics answer on their own address only, and their numbers move
// with what happens on the site; on SIGTERM /readyz turns 503 at once
// while pages are still served, and then the process exits cleanly.
func TestServeMetricsAndDrain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cluster, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: dataDir(t), DBName: "guildhall", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Stop()
	dbURL := cluster.URL("guildhall")

	addr, metricsAddr := freeAddr(t), freeAddr(t)
	origin := "http://" + addr
	serve := exec.Command(binary, "serve", "--addr", addr, "--database-url", dbURL,
		"--metrics-addr", metricsAddr, "--drain-delay", "10s", "--shutdown-timeout", "5s")
	serve.Env = environ()
	logs := &syncBuffer{}
	serve.Stdout, serve.Stderr = logs, logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	done := false
	t.Cleanup(func() {
		if !done {
			serve.Process.Kill()
			<-exited
		}
	})
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (int, string) {
		t.Helper()
		res, err := client.Get(u)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	waitFor(t, time.Minute, "/readyz to answer 200", func() bool {
		code, _ := get(origin + "/readyz")
		return code == http.StatusOK
	})

	// /readyz names the database and the schema version.
	_, body := get(origin + "/readyz")
	var ready struct {
		Status, Database string
		SchemaVersion    int64
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || ready.Status != "ok" || ready.Database != "ok" || ready.SchemaVersion < 20 {
		t.Errorf("/readyz body %s (%v); want status and database ok and the schema version", body, err)
	}

	// The public listener does not serve the metrics.
	if code, body := get(origin + "/metrics"); code == http.StatusOK || strings.Contains(body, "guildhall_build_info") {
		t.Errorf("the public address answers /metrics: %d", code)
	}
	scrape := func() map[string]float64 {
		t.Helper()
		code, body := get("http://" + metricsAddr + "/metrics")
		if code != http.StatusOK {
			t.Fatalf("scrape: status %d: %s", code, body)
		}
		return parseMetrics(body)
	}
	before := scrape()
	for _, name := range []string{`guildhall_build_info`, `go_sql_in_use_connections{db_name="guildhall"}`,
		`go_sql_idle_connections{db_name="guildhall"}`, `go_sql_wait_count_total{db_name="guildhall"}`,
		`guildhall_pending_join_requests`, `guildhall_pending_create_requests`, `guildhall_sessions`} {
		if _, ok := before[name]; !ok {
			t.Errorf("the scrape lacks %s", name)
		}
	}

	// Things happen on the site...
	db, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := postgres.NewServices(db, guildhall.TestPasswordHasher())
	owner, err := s.Accounts.CreateAccount(ctx, guildhall.NewAccount{Email: "owner@example.com", DisplayName: "Owner", Password: "a long password", SiteAdmin: true, PublicProfile: true})
	if err != nil {
		t.Fatal(err)
	}
	joiner, err := s.Accounts.CreateAccount(ctx, guildhall.NewAccount{Email: "joiner@example.com", DisplayName: "Joiner", Password: "a long password", PublicProfile: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Groups.CreateGroup(ctx, guildhall.ActorFor(owner), guildhall.GroupInput{Name: "Closed Circle", Privacy: guildhall.Private}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Membership.Join(ctx, guildhall.ActorFor(joiner), c.Group.ID, nil); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if code, _ := get(origin + "/login"); code != http.StatusOK {
			t.Fatalf("GET /login: %d", code)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, origin+"/login", strings.NewReader(url.Values{
		"email": {"joiner@example.com"}, "password": {"a long password"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", origin)
	if res, err := client.Do(req); err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %v %v", res, err)
	} else {
		res.Body.Close()
	}

	// ...and the metrics say so.
	after := scrape()
	for _, m := range []struct {
		name string
		more float64
	}{
		{`guildhall_http_requests_total{route="GET /login",status="200"}`, 3},
		{`guildhall_http_requests_total{route="POST /login",status="303"}`, 1},
		{`guildhall_http_request_duration_seconds_count{route="GET /login"}`, 3},
		{`guildhall_pending_join_requests`, 1},
		{`guildhall_sessions`, 1},
	} {
		if got := after[m.name] - before[m.name]; got != m.more {
			t.Errorf("%s moved by %v, want %v", m.name, got, m.more)
		}
	}
	if after[`go_sql_open_connections{db_name="guildhall"}`] < 1 {
		t.Errorf("the pool reports no open connection")
	}

	// SIGTERM: /readyz says 503 at once, while pages are still served.
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "/readyz to answer 503 after SIGTERM", func() bool {
		code, _ := get(origin + "/readyz")
		return code == http.StatusServiceUnavailable
	})
	_, body = get(origin + "/readyz")
	if !strings.Contains(body, `"draining"`) {
		t.Errorf("/readyz while draining says %s", body)
	}
	if code, _ := get(origin + "/login"); code != http.StatusOK {
		t.Errorf("GET /login while draining: %d, want 200 (the listener stays open for the drain delay)", code)
	}
	select {
	case err := <-exited:
		done = true
		if err != nil {
			t.Fatalf("serve after SIGTERM: %v\n%s", err, logs)
		}
	case <-time.After(time.Minute):
		t.Fatalf("serve did not exit after SIGTERM:\n%s", logs)
	}
}

// parseMetrics reads Prometheus's text format into name{labels} → value.
func parseMetrics(text string) map[string]float64 {
	m := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		name := line[:i]
		if strings.HasPrefix(name, "guildhall_build_info{") {
			name = "guildhall_build_info"
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[name] = v
		}
	}
	return m
}
