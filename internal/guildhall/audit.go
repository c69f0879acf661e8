package guildhall

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Audit actions.
const (
	ActionPolicyChanged          = "site.policy_changed"
	ActionGroupCreated           = "group.created"
	ActionGroupUpdated           = "group.updated"
	ActionGroupPrivacyChanged    = "group.privacy_changed"
	ActionGroupDeleted           = "group.deleted"
	ActionCreateRequestSubmitted = "create_request.submitted"
	ActionCreateRequestApproved  = "create_request.approved"
	ActionCreateRequestRejected  = "create_request.rejected"
	ActionCreateRequestCanceled  = "create_request.canceled"
	ActionJoinRequestSubmitted   = "join_request.submitted"
	ActionJoinRequestApproved    = "join_request.approved"
	ActionJoinRequestRejected    = "join_request.rejected"
	ActionJoinRequestCanceled    = "join_request.canceled"
	ActionMemberJoined           = "member.joined"
	ActionMemberAdded            = "member.added"
	ActionMemberRemoved          = "member.removed"
	ActionMemberLeft             = "member.left"
	ActionMemberRoleChanged      = "member.role_changed"
	ActionQuestionsChanged       = "group.questions_changed"
)

// Audit target types.
const (
	TargetSite          = "site"
	TargetGroup         = "group"
	TargetCreateRequest = "create_request"
	TargetJoinRequest   = "join_request"
	TargetMember        = "member"
)

// AuditRecord is one change to record; Before and After are marshalled to
// JSON (an AuditState, or a map with the same keys and more). Member and
// join-request records name the person they are about in "subject".
type AuditRecord struct {
	ActorID    string
	ActorName  string
	Action     string
	TargetType string
	TargetID   string
	TargetName string
	Before     any
	After      any
	// Subject, when set and the action raises an event (EventsOf), makes the
	// same write record the event and enqueue its webhook deliveries.
	Subject *EventSubject
}

// AuditEntry is one recorded change, as read back: who did what to which
// target, when, and the state before and after.
type AuditEntry struct {
	ID         int64      `db:"id"`
	At         time.Time  `db:"at"`
	ActorID    *string    `db:"actor_id"`
	ActorName  string     `db:"actor_name"`
	Action     string     `db:"action"`
	TargetType string     `db:"target_type"`
	TargetID   string     `db:"target_id"`
	TargetName string     `db:"target_name"`
	Before     AuditState `db:"before"`
	After      AuditState `db:"after"`
}

// AuditState is the recorded state on one side of a change: the fields
// people read (a sentence is made of them), and Raw, everything recorded,
// for those who want the whole of it.
type AuditState struct {
	// Subject is the person a member or join-request change is about.
	Subject        string         `json:"subject"`
	AccountID      string         `json:"accountId"`
	Role           Role           `json:"role"`
	Status         Status         `json:"status"`
	Reason         string         `json:"reason"`
	Cause          string         `json:"cause"`
	CreationPolicy CreationPolicy `json:"creationPolicy"`
	Privacy        Privacy        `json:"privacy"`
	Name           string         `json:"name"`
	Slug           string         `json:"slug"`
	Elevated       bool           `json:"elevated"`
	// Raw is the recorded JSON object; nil when nothing was recorded.
	Raw json.RawMessage `json:"-"`
}

// Scan reads the JSON column; a value that is not the JSON object the log
// writes is an error, never silently an empty state.
func (s *AuditState) Scan(src any) error {
	*s = AuditState{}
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("audit state: cannot scan %T", src)
	}
	if err := json.Unmarshal(b, s); err != nil {
		return fmt.Errorf("audit state: %w", err)
	}
	s.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// AuditQuery selects audit entries, newest first. Empty fields do not
// filter.
type AuditQuery struct {
	// Actor is an account id, or a display name (any case).
	Actor string
	// Group is a group's name as recorded (any case), or a group's slug or
	// id, which stand for its name.
	Group string
	// Action is one audit action, e.g. ActionGroupCreated.
	Action string
	// From and To bound the time: From <= at < To.
	From, To time.Time
	// Cursor continues a listing from an AuditPage's Next (older entries)
	// or Prev (newer ones).
	Cursor string
	// Limit is the page size (1..MaxPageSize; 0 for DefaultPageSize).
	Limit int
}

// AuditPage is one page of the audit log. Next and Prev are cursors to the
// older and newer pages, empty at either end.
type AuditPage struct {
	Items []AuditEntry
	Next  string
	Prev  string
}

// AuditService reads the audit log; only site admins may.
type AuditService interface {
	ListAudit(ctx context.Context, actor Actor, q AuditQuery) (*AuditPage, error)
	// EachAudit calls fn with every entry q selects, newest first, as the
	// rows arrive (q's Cursor and Limit are ignored): an export of any size
	// in constant memory. An error from fn stops it.
	EachAudit(ctx context.Context, actor Actor, q AuditQuery, fn func(AuditEntry) error) error
}

// AuditActions are the actions the log records, in the order a filter
// offers them.
var AuditActions = []string{
	ActionGroupCreated, ActionGroupUpdated, ActionGroupPrivacyChanged, ActionGroupDeleted, ActionQuestionsChanged,
	ActionCreateRequestSubmitted, ActionCreateRequestApproved, ActionCreateRequestRejected, ActionCreateRequestCanceled,
	ActionJoinRequestSubmitted, ActionJoinRequestApproved, ActionJoinRequestRejected, ActionJoinRequestCanceled,
	ActionMemberJoined, ActionMemberAdded, ActionMemberRemoved, ActionMemberLeft, ActionMemberRoleChanged,
	ActionPolicyChanged, ActionLifecycleChanged, ActionTokenCreated, ActionTokenRevoked,
}
