// Package metrics exposes Guildhall's Prometheus metrics from a registry of
// its own (nothing registers globally): HTTP requests by route pattern and
// status with their durations, the database pool, pending requests and
// sessions counted at scrape time, the Go runtime, the process, and the
// build.
package metrics

import (
	"context"
	"database/sql"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Counts are the site's gauges read from the database at scrape time.
type Counts struct {
	PendingJoinRequests   int64
	PendingCreateRequests int64
	Sessions              int64
}

// Metrics holds the registry and the request instruments.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// New registers every metric over db; counts is asked at each scrape.
func New(db *sql.DB, counts func(context.Context) (Counts, error)) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "guildhall_http_requests_total",
			Help: "HTTP requests answered, by route pattern (\"unmatched\" when no route matched) and status code.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "guildhall_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
	}
	m.registry.MustRegister(
		m.requests, m.duration,
		collectors.NewDBStatsCollector(db, "guildhall"),
		&countsCollector{counts: counts},
		buildInfo(),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// ObserveRequest counts one answered request (web.RequestObserver).
func (m *Metrics) ObserveRequest(route string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(took.Seconds())
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// buildInfo is guildhall_build_info: 1, labelled with the module version,
// the VCS revision and the Go version the binary was built with.
func buildInfo() prometheus.Collector {
	version, revision, goVersion := "(devel)", "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		version, goVersion = bi.Main.Version, bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "guildhall_build_info",
		Help:        "Always 1; the labels say which build runs.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goVersion},
	})
	g.Set(1)
	return g
}

var (
	pendingJoinDesc = prometheus.NewDesc("guildhall_pending_join_requests",
		"Join requests waiting for a group admin's decision.", nil, nil)
	pendingCreateDesc = prometheus.NewDesc("guildhall_pending_create_requests",
		"Requests to create a group waiting for a site admin's decision.", nil, nil)
	sessionsDesc = prometheus.NewDesc("guildhall_sessions",
		"Sessions that have not expired.", nil, nil)
)

// countsCollector reads Counts at each scrape, so the numbers are the
// database's, the same whichever instance is scraped.
type countsCollector struct {
	counts func(context.Context) (Counts, error)
}

func (c *countsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pendingJoinDesc
	ch <- pendingCreateDesc
	ch <- sessionsDesc
}

func (c *countsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := c.counts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(pendingJoinDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(pendingJoinDesc, prometheus.GaugeValue, float64(n.PendingJoinRequests))
	ch <- prometheus.MustNewConstMetric(pendingCreateDesc, prometheus.GaugeValue, float64(n.PendingCreateRequests))
	ch <- prometheus.MustNewConstMetric(sessionsDesc, prometheus.GaugeValue, float64(n.Sessions))
}
