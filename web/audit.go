package web

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

// auditPageSize is how many entries a page of the audit log shows.
const auditPageSize = 50

// auditFilters reads the audit log's filters from the query: actor, group,
// action, from and to (dates, YYYY-MM-DD, both days included; or exact
// RFC 3339 times). A date that cannot be read is named.
func auditFilters(r *http.Request) (templates.AuditFilters, guildhall.AuditQuery, error) {
	qs := r.URL.Query()
	f := templates.AuditFilters{Actor: strings.TrimSpace(qs.Get("actor")), Group: strings.TrimSpace(qs.Get("group")),
		Action: qs.Get("action"), From: strings.TrimSpace(qs.Get("from")), To: strings.TrimSpace(qs.Get("to"))}
	q := guildhall.AuditQuery{Actor: f.Actor, Group: f.Group, Action: f.Action}
	var v guildhall.Validator
	var ok bool
	if f.From != "" {
		q.From, ok = parseDay(f.From, false)
		v.Check(ok, "from", "From must be a date (YYYY-MM-DD).")
	}
	if f.To != "" {
		q.To, ok = parseDay(f.To, true)
		v.Check(ok, "to", "To must be a date (YYYY-MM-DD).")
	}
	return f, q, v.Err()
}

// auditFilterFields are the filters the page's form shows a message beside.
var auditFilterFields = map[string]bool{"action": true, "from": true, "to": true}

// parseDay reads a date as the start of that day in UTC (the day after, for
// an inclusive end), or an exact RFC 3339 time.
func parseDay(s string, end bool) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, false
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, true
}

// encode is the filters as a query string ("" when none).
func auditQueryString(f templates.AuditFilters, extra ...string) string {
	u := url.Values{}
	for k, v := range map[string]string{"actor": f.Actor, "group": f.Group, "action": f.Action, "from": f.From, "to": f.To} {
		if v != "" {
			u.Set(k, v)
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		u.Set(extra[i], extra[i+1])
	}
	if len(u) == 0 {
		return ""
	}
	return "?" + u.Encode()
}

func auditActionOptions() []templates.Option {
	opts := []templates.Option{{Value: "", Label: "Any action"}}
	for _, a := range guildhall.AuditActions {
		opts = append(opts, templates.Option{Value: a, Label: templates.AuditActionLabel(a)})
	}
	return opts
}

// auditPage is /admin/audit: the log, newest first, filtered, paged by
// keyset, each entry a sentence with its before and after on demand.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	if !s.siteAdminOnly(w, r) {
		return
	}
	f, q, err := auditFilters(r)
	v := templates.AuditPage{Page: s.page(r, "Audit log", "admin"), Filters: f, Actions: auditActionOptions(),
		ExportCSV:   "/admin/audit/export" + auditQueryString(f, "format", "csv"),
		ExportJSONL: "/admin/audit/export" + auditQueryString(f, "format", "jsonl")}
	var res *guildhall.AuditPage
	if err == nil {
		q.Cursor, q.Limit = r.URL.Query().Get("cursor"), auditPageSize
		res, err = s.Audit.ListAudit(r.Context(), viewer(r), q)
	}
	if errors.Is(err, guildhall.ErrInvalid) {
		// As every dashboard form: 422, the form again, the message beside
		// the filter at fault (a cursor has no field, so it is said above).
		v.FieldErrors = guildhall.FieldErrors(err)
		for field, msg := range v.FieldErrors {
			if !auditFilterFields[field] {
				delete(v.FieldErrors, field)
				v.Errors = append(v.Errors, msg)
			}
		}
		s.render(w, r, http.StatusUnprocessableEntity, templates.Audit(v))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, e := range res.Items {
		v.Rows = append(v.Rows, templates.AuditRow{At: e.At, Sentence: templates.AuditSentence(e),
			Before: prettyJSON(e.Before.Raw), After: prettyJSON(e.After.Raw), DeliveriesURL: auditDeliveriesURL(e)})
	}
	if res.Prev != "" {
		v.PrevURL = "/admin/audit" + auditQueryString(f, "cursor", res.Prev)
	}
	if res.Next != "" {
		v.NextURL = "/admin/audit" + auditQueryString(f, "cursor", res.Next)
	}
	s.render(w, r, http.StatusOK, templates.Audit(v))
}

// prettyJSON indents recorded JSON for reading ("" when nothing was recorded).
func prettyJSON(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

// auditExport is /admin/audit/export?format=csv|jsonl with the page's
// filters: every matching entry, newest first, written as the rows come
// from the database, so the export holds one entry at a time.
func (s *Server) auditExport(w http.ResponseWriter, r *http.Request) {
	if !s.siteAdminOnly(w, r) {
		return
	}
	_, q, err := auditFilters(r)
	format := r.URL.Query().Get("format")
	if err == nil && format != "csv" && format != "jsonl" {
		var v guildhall.Validator
		v.Add("format", "Format must be csv or jsonl.")
		err = v.Err()
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var ex auditExporter
	if format == "csv" {
		ex = newCSVExport(w)
	} else {
		ex = &jsonlExport{enc: json.NewEncoder(w)}
	}
	rc := http.NewResponseController(w)
	started := false
	start := func() error {
		started = true
		name := "guildhall-audit-" + time.Now().UTC().Format("20060102-150405") + "." + format
		w.Header().Set("Content-Type", map[string]string{"csv": "text/csv; charset=utf-8", "jsonl": "application/jsonl; charset=utf-8"}[format])
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		return ex.header()
	}
	n := 0
	err = s.Audit.EachAudit(r.Context(), viewer(r), q, func(e guildhall.AuditEntry) error {
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		if err := ex.entry(e); err != nil {
			return err
		}
		if n++; n%500 == 0 {
			if err := ex.flush(); err != nil {
				return err
			}
			if err := rc.Flush(); err != nil {
				return err // a client that stops reading stops the query
			}
		}
		return nil
	})
	switch {
	case err != nil && !started:
		s.fail(w, r, err)
	case err != nil:
		// The status is sent: the truncated file is all that can tell.
		s.Logger.Error("audit export", "err", err, "request_id", requestID(r), "rows", n)
	default:
		if !started {
			err = start()
		}
		if err == nil {
			err = ex.flush()
		}
		if err != nil {
			s.Logger.Error("audit export", "err", err, "request_id", requestID(r), "rows", n)
		}
	}
}

// auditExporter writes one export format.
type auditExporter interface {
	header() error
	entry(e guildhall.AuditEntry) error
	flush() error
}

type csvExport struct{ w *csv.Writer }

func newCSVExport(w io.Writer) *csvExport { return &csvExport{w: csv.NewWriter(w)} }

func (c *csvExport) header() error {
	return c.w.Write([]string{"id", "at", "actor_id", "actor_name", "action", "target_type", "target_id", "target_name", "sentence", "before", "after"})
}

func (c *csvExport) entry(e guildhall.AuditEntry) error {
	actorID := ""
	if e.ActorID != nil {
		actorID = *e.ActorID
	}
	return c.w.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), actorID,
		cell(e.ActorName), e.Action, e.TargetType, e.TargetID, cell(e.TargetName), cell(templates.AuditSentence(e)),
		string(e.Before.Raw), string(e.After.Raw)})
}

func (c *csvExport) flush() error {
	c.w.Flush()
	return c.w.Error()
}

// cell keeps a name people chose from being read as a formula by a
// spreadsheet (CSV injection): a leading = + - @ gets a quote mark.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

type jsonlExport struct{ enc *json.Encoder }

// auditLine is one entry of the JSON lines export.
type auditLine struct {
	ID         int64           `json:"id"`
	At         time.Time       `json:"at"`
	ActorID    *string         `json:"actorId"`
	ActorName  string          `json:"actorName"`
	Action     string          `json:"action"`
	TargetType string          `json:"targetType"`
	TargetID   string          `json:"targetId"`
	TargetName string          `json:"targetName"`
	Sentence   string          `json:"sentence"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
}

func (j *jsonlExport) header() error { return nil }

func (j *jsonlExport) entry(e guildhall.AuditEntry) error {
	return j.enc.Encode(auditLine{ID: e.ID, At: e.At.UTC(), ActorID: e.ActorID, ActorName: e.ActorName, Action: e.Action,
		TargetType: e.TargetType, TargetID: e.TargetID, TargetName: e.TargetName, Sentence: templates.AuditSentence(e),
		Before: e.Before.Raw, After: e.After.Raw})
}

func (j *jsonlExport) flush() error { return nil }
