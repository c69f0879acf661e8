package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"os"
	"time"
)

// yardstickPage is about what a real page shows of one group.
var yardstickPage = template.Must(template.New("group").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Name}}</title></head>
<body><main><h1>{{.Name}}</h1><p>{{.Description}}</p>
<p>{{.Privacy}} · {{.MembersCount}} members</p><a href="/groups/{{.Slug}}/members">Members</a></main></body></html>`))

// yardstick is the one-query handler every figure is compared with: it
// looks one group up by slug with one indexed query and renders it through
// html/template, on the same database as Guildhall. The ratio to it is what
// stays comparable on a machine whose speed varies from minute to minute.
type yardstick struct{ db *sql.DB }

func (y yardstick) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var g struct {
		Name, Slug, Description, Privacy string
		MembersCount                     int
	}
	err := y.db.QueryRowContext(r.Context(), `
		SELECT name, slug, description, privacy, members_count
		FROM groups WHERE slug = $1 AND deleted_at IS NULL`, r.PathValue("slug")).
		Scan(&g.Name, &g.Slug, &g.Description, &g.Privacy, &g.MembersCount)
	if err == sql.ErrNoRows {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := yardstickPage.Execute(&buf, g); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// serveYardstick is the yardstick's own process (startYardstickProcess):
// it serves over dbURL, prints its base URL and serves until killed.
func serveYardstick(dbURL string) {
	db, err := sql.Open("postgres", dbURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "yardstick:", err)
		os.Exit(1)
	}
	db.SetMaxOpenConns(25)
	db.SetMaxIdleConns(25)
	base, _, err := startYardstick(db)
	if err != nil {
		fmt.Fprintln(os.Stderr, "yardstick:", err)
		os.Exit(1)
	}
	fmt.Println(base)
	select {}
}

// startYardstick serves the yardstick over db on a free loopback port and
// returns its base URL and a stop function.
func startYardstick(db *sql.DB) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /groups/{slug}", yardstick{db: db})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}
