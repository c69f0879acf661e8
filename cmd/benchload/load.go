package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// result is what driving one target measured.
type result struct {
	Requests int
	Errors   int // answers with another status than the one expected
	FirstErr string
	Elapsed  time.Duration
	P50, P99 time.Duration
	CPU      time.Duration // CPU time the server and its database spent on the counted requests; 0 when not measured
	DBCPU    time.Duration // the database's part of CPU
	lat      []time.Duration
}

// merge is a and b as one measurement: their requests, time and CPU
// added up, their percentiles of every latency of both.
func merge(a, b result) result {
	out := result{Requests: a.Requests + b.Requests, Errors: a.Errors + b.Errors, FirstErr: a.FirstErr,
		Elapsed: a.Elapsed + b.Elapsed, CPU: a.CPU + b.CPU, DBCPU: a.DBCPU + b.DBCPU,
		lat: append(slices.Clip(a.lat), b.lat...)}
	if out.FirstErr == "" {
		out.FirstErr = b.FirstErr
	}
	out.P50, out.P99 = percentile(out.lat, 0.50), percentile(out.lat, 0.99)
	return out
}

// CPUPerRequest is the CPU time one request cost the server and the
// database, in milliseconds; 0 when not measured.
func (r result) CPUPerRequest() float64 {
	if r.Requests == 0 || r.CPU <= 0 {
		return 0
	}
	return float64(r.CPU) / float64(time.Millisecond) / float64(r.Requests)
}

// Rate is requests a second over the run.
func (r result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// dbPerRequest is the database's part of CPUPerRequest.
func (r result) dbPerRequest() float64 {
	if r.Requests == 0 {
		return 0
	}
	return float64(r.DBCPU) / float64(time.Millisecond) / float64(r.Requests)
}

// call makes one request; it returns the status, or an error when the
// request could not be made at all.
type call func(ctx context.Context, c *http.Client) (int, error)

// drive runs clients loops that each make one call after another, for d
// after a short warm-up that is not counted, and gathers every latency.
func drive(ctx context.Context, hc *http.Client, clients int, d time.Duration, want int, do call, cpu cpuMeter) result {
	warm, cancelWarm := context.WithTimeout(ctx, d/10)
	runLoops(warm, hc, clients, want, do)
	cancelWarm()
	run, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start, srv0, db0 := time.Now(), cpu.server(), cpu.database()
	per := runLoops(run, hc, clients, want, do)
	res := result{Elapsed: time.Since(start)}
	srv, db := cpu.server()-srv0, cpu.database()-db0
	res.CPU, res.DBCPU = srv+db, db
	var all []time.Duration
	for _, p := range per {
		all = append(all, p.lat...)
		res.Errors += p.errors
		if res.FirstErr == "" {
			res.FirstErr = p.firstErr
		}
	}
	res.Requests, res.lat = len(all), all
	res.P50, res.P99 = percentile(all, 0.50), percentile(all, 0.99)
	return res
}

type loopStats struct {
	lat      []time.Duration
	errors   int
	firstErr string
}

func runLoops(ctx context.Context, hc *http.Client, clients, want int, do call) []loopStats {
	per := make([]loopStats, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			st := &per[i]
			for ctx.Err() == nil {
				t := time.Now()
				status, err := do(ctx, hc)
				if ctx.Err() != nil {
					return // cut off by the end of the run: not a sample
				}
				st.lat = append(st.lat, time.Since(t))
				if err != nil || status != want {
					st.errors++
					if st.firstErr == "" {
						st.firstErr = fmt.Sprintf("status %d, %v", status, err)
					}
				}
			}
		})
	}
	wg.Wait()
	return per
}

// percentile is the p-th latency of all (nearest rank).
func percentile(all []time.Duration, p float64) time.Duration {
	if len(all) == 0 {
		return 0
	}
	s := slices.Clone(all)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// get is a call that reads url with the given cookie or bearer token.
func get(url, cookie, token string) call {
	return func(ctx context.Context, c *http.Client) (int, error) {
		return send(ctx, c, http.MethodGet, url, cookie, token, nil)
	}
}

// post is a call that posts a JSON body with a bearer token.
func post(url, token string, body func() []byte) call {
	return func(ctx context.Context, c *http.Client) (int, error) {
		return send(ctx, c, http.MethodPost, url, "", token, body())
	}
}

func send(ctx context.Context, c *http.Client, method, url, cookie, token string, body []byte) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
