package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"guildhall/internal/guildhall"
)

// AuditService implements guildhall.AuditService.
type AuditService struct{ db *DB }

// NewAuditService returns the audit log reader.
func NewAuditService(db *DB) *AuditService { return &AuditService{db: db} }

var _ guildhall.AuditService = (*AuditService)(nil)

const auditColumns = `id, at, actor_id, actor_name, action, target_type, target_id, target_name, before, after`

// auditGroupTargets are the target types whose target_name is a group's name.
const auditGroupTargets = `target_type IN ('group', 'member', 'join_request', 'create_request')`

// auditCursor is a position in the log's order (at, id), newest first:
// older continues past it, newer goes back before it.
type auditCursor struct {
	older bool
	at    time.Time
	id    int64
}

func (c auditCursor) encode() string {
	dir := "n"
	if c.older {
		dir = "o"
	}
	return dir + "." + strconv.FormatInt(c.at.UnixMicro(), 10) + "." + strconv.FormatInt(c.id, 10)
}

func decodeAuditCursor(s string) (auditCursor, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || (parts[0] != "o" && parts[0] != "n") {
		return auditCursor{}, false
	}
	micro, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || id < 0 {
		return auditCursor{}, false
	}
	return auditCursor{older: parts[0] == "o", at: time.UnixMicro(micro), id: id}, true
}

// auditFilter compiles q's filters to a WHERE clause and its arguments.
// Each filter has an index that also gives the order (migration 00060), so
// a page is one short index range at any size of the log.
func (s *AuditService) auditFilter(ctx context.Context, actor guildhall.Actor, q guildhall.AuditQuery) (string, []any, error) {
	if !guildhall.CanAdministerSite(actor) {
		return "", nil, guildhall.Forbidden("Only site admins can read the audit log.")
	}
	var v guildhall.Validator
	v.Check(q.From.IsZero() || q.To.IsZero() || q.From.Before(q.To), "to", "To must be after From.")
	v.Check(q.Action == "" || slices.Contains(guildhall.AuditActions, q.Action), "action", "Choose an action from the list.")
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	var where []string
	var args []any
	arg := func(x any) string {
		args = append(args, x)
		return "$" + strconv.Itoa(len(args))
	}
	if a := strings.TrimSpace(q.Actor); a != "" {
		if isUUID(a) {
			where = append(where, "actor_id = "+arg(a))
		} else {
			where = append(where, "lower(actor_name) = lower("+arg(a)+")")
		}
	}
	if g := strings.TrimSpace(q.Group); g != "" {
		name, err := s.groupName(ctx, g)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "lower(target_name) = lower("+arg(name)+") AND "+auditGroupTargets)
	}
	if q.Action != "" {
		where = append(where, "action = "+arg(q.Action))
	}
	if !q.From.IsZero() {
		where = append(where, "at >= "+arg(q.From))
	}
	if !q.To.IsZero() {
		where = append(where, "at < "+arg(q.To))
	}
	if len(where) == 0 {
		return "true", args, nil
	}
	return strings.Join(where, " AND "), args, nil
}

// groupName reads a group filter: a live group's slug, or any group's id,
// stands for its name; anything else is a name as recorded.
func (s *AuditService) groupName(ctx context.Context, g string) (string, error) {
	var name string
	err := s.db.GetContext(ctx, &name, `
		SELECT name FROM groups
		WHERE (slug = $1 AND deleted_at IS NULL) OR id = (CASE WHEN $2 THEN $1::uuid END)
		ORDER BY deleted_at NULLS FIRST LIMIT 1`, g, isUUID(g))
	if errors.Is(err, sql.ErrNoRows) {
		return g, nil
	}
	if err != nil {
		return "", fmt.Errorf("audit group filter: %w", err)
	}
	return name, nil
}

// ListAudit pages the audit log, newest first, by keyset: a page is found
// from its cursor whatever its depth.
func (s *AuditService) ListAudit(ctx context.Context, actor guildhall.Actor, q guildhall.AuditQuery) (*guildhall.AuditPage, error) {
	filter, args, err := s.auditFilter(ctx, actor, q)
	if err != nil {
		return nil, err
	}
	var v guildhall.Validator
	limit := q.Limit
	guildhall.CheckPage(&v, "", &limit, 0)
	var cur auditCursor
	if q.Cursor != "" {
		var ok bool
		cur, ok = decodeAuditCursor(q.Cursor)
		v.Check(ok, "cursor", "The cursor is not one this list gave.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	order := "at DESC, id DESC"
	if q.Cursor != "" {
		cmp := "<"
		if !cur.older {
			cmp, order = ">", "at, id"
		}
		args = append(args, cur.at, cur.id)
		filter += fmt.Sprintf(" AND (at, id) %s ($%d, $%d)", cmp, len(args)-1, len(args))
	}
	args = append(args, limit+1)
	page := &guildhall.AuditPage{Items: []guildhall.AuditEntry{}}
	err = s.db.SelectContext(ctx, &page.Items, `SELECT `+auditColumns+` FROM audit_log
		WHERE `+filter+` ORDER BY `+order+fmt.Sprintf(` LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	more := len(page.Items) > limit
	if more {
		page.Items = page.Items[:limit]
	}
	newer := q.Cursor != "" && !cur.older
	if newer {
		for i, j := 0, len(page.Items)-1; i < j; i, j = i+1, j-1 {
			page.Items[i], page.Items[j] = page.Items[j], page.Items[i]
		}
	}
	if n := len(page.Items); n > 0 {
		first, last := page.Items[0], page.Items[n-1]
		if (!newer && more) || newer {
			page.Next = auditCursor{older: true, at: last.At, id: last.ID}.encode()
		}
		if (newer && more) || (!newer && q.Cursor != "") {
			page.Prev = auditCursor{older: false, at: first.At, id: first.ID}.encode()
		}
	}
	return page, nil
}

// EachAudit streams every entry q selects, newest first, to fn as the rows
// arrive from PostgreSQL: nothing is gathered, so an export of a million
// entries holds one at a time.
func (s *AuditService) EachAudit(ctx context.Context, actor guildhall.Actor, q guildhall.AuditQuery, fn func(guildhall.AuditEntry) error) error {
	filter, args, err := s.auditFilter(ctx, actor, q)
	if err != nil {
		return err
	}
	rows, err := s.db.QueryxContext(ctx, `SELECT `+auditColumns+` FROM audit_log
		WHERE `+filter+` ORDER BY at DESC, id DESC`, args...)
	if err != nil {
		return fmt.Errorf("export audit log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e guildhall.AuditEntry
		if err := rows.StructScan(&e); err != nil {
			return fmt.Errorf("export audit log: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export audit log: %w", err)
	}
	return nil
}
