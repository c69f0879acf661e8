package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// healthz answers while the process runs.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

// readiness is /readyz's answer.
type readiness struct {
	Status   string `json:"status"`                  // "ok", "draining" or "unavailable"
	Database string `json:"database"`                // "ok" or "unavailable"
	Schema   int64  `json:"schemaVersion,omitempty"` // the newest migration applied
}

// readyz answers 200 only while the database answers, and 503 once
// shutdown has begun, so a load balancer stops sending here first. The body
// says which, and the schema version.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	ready := readiness{Status: "ok", Database: "ok"}
	var err error
	if s.MigrationVersion != nil {
		ready.Schema, err = s.MigrationVersion(ctx)
	} else {
		err = s.Ping(ctx)
	}
	code := http.StatusOK
	if err != nil {
		s.Logger.Warn("readyz: the database does not answer", "err", err)
		ready.Status, ready.Database, code = "unavailable", "unavailable", http.StatusServiceUnavailable
	}
	if s.draining.Load() {
		ready.Status, code = "draining", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(ready) // the status is sent; a client gone is nothing to act on
}
