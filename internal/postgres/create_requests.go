package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// CreateRequestService implements guildhall.CreateRequestService.
type CreateRequestService struct{ db *DB }

// NewCreateRequestService returns the create request service.
func NewCreateRequestService(db *DB) *CreateRequestService { return &CreateRequestService{db: db} }

var _ guildhall.CreateRequestService = (*CreateRequestService)(nil)

// createRequestColumns are the columns of guildhall.CreateRequest, from
// create_requests aliased r joined to the requester's account a and the live
// group g it created (see createRequestFrom).
const createRequestColumns = `r.id, r.requester_id, a.display_name AS requester_name,
	r.name, r.description, r.privacy,
	r.members_can_approve, r.members_can_invite, r.show_member_list,
	r.status, r.rejection_reason, r.group_id, g.slug AS group_slug, r.created_at, r.decided_at, r.decided_by,
	` + expiresAtColumn

// createRequestFrom joins what createRequestColumns reads; r may be a CTE.
const createRequestFrom = `
	JOIN accounts a ON a.id = r.requester_id
	LEFT JOIN groups g ON g.id = r.group_id AND g.deleted_at IS NULL`

func createRequestNotFound() error { return guildhall.NotFound("Create request not found.") }

// insertCreateRequest stores a pending request by requesterID for in.
func insertCreateRequest(ctx context.Context, db *DB, tx *sqlx.Tx, requesterID string, in guildhall.GroupInput, settings guildhall.GroupSettings) (*guildhall.CreateRequest, error) {
	var r guildhall.CreateRequest
	err := tx.GetContext(ctx, &r, `
		WITH r AS (
			INSERT INTO create_requests (requester_id, name, description, privacy,
				members_can_approve, members_can_invite, show_member_list)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			RETURNING *
		)
		SELECT `+createRequestColumns+` FROM r`+createRequestFrom,
		requesterID, in.Name, in.Description, in.Privacy,
		settings.MembersCanApprove, settings.MembersCanInvite, settings.ShowMemberList)
	if err != nil {
		return nil, fmt.Errorf("insert create request: %w", err)
	}
	return &r, db.notifyNewCreateRequest(ctx, tx)
}

// listCreateRequests pages the requests of requesterID (everyone's when "").
func (s *CreateRequestService) listCreateRequests(ctx context.Context, requesterID string, q guildhall.RequestQuery) (*guildhall.Page[guildhall.CreateRequest], error) {
	if err := q.Validate(""); err != nil {
		return nil, err
	}
	// The status and whether one requester's are asked for are written
	// into the SQL, the limit too (pageSQL), and the total is read beside
	// the rows: one prepared statement with a plan PostgreSQL keeps.
	filter := `true` + statusSQL("r", q.Status)
	var args []any
	if requesterID != "" {
		filter += ` AND r.requester_id = $1`
		args = append(args, requesterID)
	}
	countArgs := args
	paging, args := pageSQL(q.Limit, q.Offset, args)
	var rows []struct {
		guildhall.CreateRequest
		Total int `db:"total"`
	}
	err := s.db.selectPrepared(ctx, &rows, `
		SELECT (SELECT count(*) FROM create_requests r WHERE `+filter+`) AS total, `+createRequestColumns+`
		FROM create_requests r`+createRequestFrom+`
		WHERE `+filter+`
		ORDER BY `+requestOrder(q)+paging, args...)
	if err != nil {
		return nil, fmt.Errorf("list create requests: %w", err)
	}
	page := &guildhall.Page[guildhall.CreateRequest]{Items: make([]guildhall.CreateRequest, len(rows)), Offset: q.Offset, Limit: q.Limit}
	for i := range rows {
		page.Items[i], page.Total = rows[i].CreateRequest, rows[i].Total
	}
	// No row has no total: at offset 0 it is 0 (the count and the rows
	// are the same requests, in one snapshot); past the end, count.
	if len(rows) == 0 && q.Offset > 0 {
		if err := s.db.getPrepared(ctx, &page.Total, `SELECT count(*) FROM create_requests r WHERE `+filter, countArgs...); err != nil {
			return nil, fmt.Errorf("count create requests: %w", err)
		}
	}
	return page, nil
}

// ListCreateRequests lists every request, newest first, for site admins.
func (s *CreateRequestService) ListCreateRequests(ctx context.Context, actor guildhall.Actor, q guildhall.RequestQuery) (*guildhall.Page[guildhall.CreateRequest], error) {
	if !guildhall.CanAdministerSite(actor) {
		return nil, guildhall.Forbidden("Only site admins can see the create requests of the site.")
	}
	return s.listCreateRequests(ctx, "", q)
}

// MyCreateRequests lists the actor's own requests, newest first.
func (s *CreateRequestService) MyCreateRequests(ctx context.Context, actor guildhall.Actor, q guildhall.RequestQuery) (*guildhall.Page[guildhall.CreateRequest], error) {
	if actor.ID == "" {
		// Without an account there are no own requests, and "" must never
		// reach listCreateRequests, where it means everyone's.
		return nil, guildhall.Unauthenticated("Sign in to see your requests.")
	}
	return s.listCreateRequests(ctx, actor.ID, q)
}

// CreateRequestByID returns one request to its requester or a site admin;
// to anyone else it does not exist.
func (s *CreateRequestService) CreateRequestByID(ctx context.Context, actor guildhall.Actor, id string) (*guildhall.CreateRequest, error) {
	if !isUUID(id) {
		return nil, createRequestNotFound()
	}
	var r guildhall.CreateRequest
	err := s.db.GetContext(ctx, &r, `
		SELECT `+createRequestColumns+`
		FROM create_requests r`+createRequestFrom+`
		WHERE r.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, createRequestNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("create request by id: %w", err)
	}
	if r.RequesterID != actor.ID && !guildhall.CanAdministerSite(actor) {
		return nil, createRequestNotFound()
	}
	return &r, nil
}

// lockCreateRequest locks request id inside tx; deciding on the locked row
// lets exactly one of many concurrent decisions win.
func lockCreateRequest(ctx context.Context, tx *sqlx.Tx, id string) (*guildhall.CreateRequest, error) {
	if !isUUID(id) {
		return nil, createRequestNotFound()
	}
	var r guildhall.CreateRequest
	err := tx.GetContext(ctx, &r, `
		SELECT `+createRequestColumns+`
		FROM create_requests r`+createRequestFrom+`
		WHERE r.id = $1
		FOR UPDATE OF r`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, createRequestNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("lock create request: %w", err)
	}
	return &r, nil
}

// finishCreateRequest moves a locked pending request to status and returns
// it as stored.
func finishCreateRequest(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, id string, status guildhall.Status, reason string, groupID *string) (*guildhall.CreateRequest, error) {
	var r guildhall.CreateRequest
	err := tx.GetContext(ctx, &r, `
		WITH r AS (
			UPDATE create_requests
			SET status = $2, rejection_reason = $3, group_id = $4, decided_at = now(), decided_by = $5
			WHERE id = $1
			RETURNING *
		)
		SELECT `+createRequestColumns+` FROM r`+createRequestFrom,
		id, status, reason, groupID, nullIfEmpty(actor.ID))
	if err != nil {
		return nil, fmt.Errorf("decide create request: %w", err)
	}
	return &r, nil
}

// errOnlySiteAdminsDecide is the refusal of a decision by anyone but a site admin.
func errOnlySiteAdminsDecide() error {
	return guildhall.Forbidden("Only site admins can approve or reject create requests.")
}

// decideEach decides every id in its own transaction (eachInTx) with
// decide, on the locked request row; a request that is no longer pending
// is left as it is and its item says so.
func (s *CreateRequestService) decideEach(ctx context.Context, ids []string, decide func(tx *sqlx.Tx, i int, r *guildhall.CreateRequest) (*guildhall.CreateRequest, error)) ([]guildhall.BulkResult[guildhall.CreateRequest], error) {
	return eachInTx(ctx, s.db, ids, func(tx *sqlx.Tx, i int, res *guildhall.BulkResult[guildhall.CreateRequest]) error {
		r, err := lockCreateRequest(ctx, tx, ids[i])
		if err != nil {
			return err
		}
		res.Item = r
		if err := guildhall.StillPending(r.Status); err != nil {
			return err
		}
		decided, err := decide(tx, i, r)
		if err != nil {
			return err
		}
		res.Item = decided
		return nil
	})
}

// ApproveCreateRequests creates the group of each pending request, with its
// requester as owner and admin, exactly as a direct create would.
func (s *CreateRequestService) ApproveCreateRequests(ctx context.Context, actor guildhall.Actor, ids []string) ([]guildhall.BulkResult[guildhall.CreateRequest], error) {
	if !guildhall.CanAdministerSite(actor) {
		return nil, errOnlySiteAdminsDecide()
	}
	if err := checkBulk("createRequestIds", len(ids)); err != nil {
		return nil, err
	}
	return s.decideEach(ctx, ids, func(tx *sqlx.Tx, _ int, r *guildhall.CreateRequest) (*guildhall.CreateRequest, error) {
		g, err := insertGroup(ctx, tx, newGroup{
			Name: r.Name, Description: r.Description, Privacy: r.Privacy, Settings: r.GroupSettings, OwnerID: r.RequesterID})
		if err != nil {
			return nil, err
		}
		decided, err := finishCreateRequest(ctx, tx, actor, r.ID, guildhall.Approved, "", &g.ID)
		if err != nil {
			return nil, err
		}
		if err := s.db.notifyCreateDecision(ctx, tx, decided); err != nil {
			return nil, err
		}
		return decided, writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionCreateRequestApproved,
			TargetType: guildhall.TargetCreateRequest, TargetID: r.ID, TargetName: g.Name,
			Before:  map[string]any{"status": r.Status},
			After:   map[string]any{"status": decided.Status, "groupId": g.ID, "slug": g.Slug, "subject": r.RequesterName},
			Subject: &guildhall.EventSubject{CreateRequest: decided, Group: g},
		})
	})
}

// RejectCreateRequests rejects each pending request with its reason, which
// the requester sees.
func (s *CreateRequestService) RejectCreateRequests(ctx context.Context, actor guildhall.Actor, rejections []guildhall.Rejection) ([]guildhall.BulkResult[guildhall.CreateRequest], error) {
	if !guildhall.CanAdministerSite(actor) {
		return nil, errOnlySiteAdminsDecide()
	}
	ids, reasons, err := splitRejections(rejections, func(rj guildhall.Rejection) (string, string) { return rj.ID, rj.Reason })
	if err != nil {
		return nil, err
	}
	return s.decideEach(ctx, ids, func(tx *sqlx.Tx, i int, r *guildhall.CreateRequest) (*guildhall.CreateRequest, error) {
		decided, err := finishCreateRequest(ctx, tx, actor, r.ID, guildhall.Rejected, reasons[i], nil)
		if err != nil {
			return nil, err
		}
		if err := s.db.notifyCreateDecision(ctx, tx, decided); err != nil {
			return nil, err
		}
		return decided, writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionCreateRequestRejected,
			TargetType: guildhall.TargetCreateRequest, TargetID: r.ID, TargetName: r.Name,
			Before:  map[string]any{"status": r.Status},
			After:   map[string]any{"status": decided.Status, "reason": decided.RejectionReason, "subject": r.RequesterName},
			Subject: &guildhall.EventSubject{CreateRequest: decided},
		})
	})
}

// CancelCreateRequest lets the requester withdraw their pending request.
// Someone else's request does not exist for them; a site admin, who can see
// it, is told only the requester may cancel.
func (s *CreateRequestService) CancelCreateRequest(ctx context.Context, actor guildhall.Actor, id string) (*guildhall.CreateRequest, error) {
	var out *guildhall.CreateRequest
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := lockCreateRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.RequesterID != actor.ID {
			if guildhall.CanAdministerSite(actor) {
				return guildhall.Forbidden("Only the requester can cancel a create request; reject it instead.")
			}
			return createRequestNotFound()
		}
		if err := guildhall.StillPending(r.Status); err != nil {
			return err
		}
		out, err = finishCreateRequest(ctx, tx, actor, r.ID, guildhall.Canceled, "", nil)
		if err != nil {
			return err
		}
		return writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionCreateRequestCanceled,
			TargetType: guildhall.TargetCreateRequest, TargetID: r.ID, TargetName: r.Name,
			Before: map[string]any{"status": r.Status}, After: map[string]any{"status": out.Status},
			Subject: &guildhall.EventSubject{CreateRequest: out},
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
