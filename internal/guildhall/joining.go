package guildhall

import (
	"context"
	"time"
)

// Limits on joining.
const (
	MaxQuestions      = 5
	MaxQuestionLength = 200
	MaxAnswerLength   = 1000
	MaxBulk           = 100
)

// Member is one member of a group.
type Member struct {
	GroupID     string    `db:"group_id"`
	AccountID   string    `db:"account_id"`
	DisplayName string    `db:"display_name"`
	Email       string    `db:"email"`
	Role        Role      `db:"role"`
	JoinedAt    time.Time `db:"joined_at"`
}

// JoinRequest is a member's request to join a private group.
type JoinRequest struct {
	ID              string     `db:"id"`
	GroupID         string     `db:"group_id"`
	GroupName       string     `db:"group_name"`
	GroupSlug       string     `db:"group_slug"`
	AccountID       string     `db:"account_id"`
	DisplayName     string     `db:"display_name"`
	Status          Status     `db:"status"`
	RejectionReason string     `db:"rejection_reason"`
	Answers         []Answer   `db:"-"`
	CreatedAt       time.Time  `db:"created_at"`
	DecidedAt       *time.Time `db:"decided_at"`
	DecidedBy       *string    `db:"decided_by"`
	// EscalatedAt is when it waited long enough to be escalated to the
	// site admins (nil when it was not).
	EscalatedAt *time.Time `db:"escalated_at"`
	// ExpiresAt is when a pending request will expire, while expiry is on.
	ExpiresAt *time.Time `db:"expires_at"`
}

// JoinResult is what a join did: Member when the actor joined at once,
// Request when a request now waits.
type JoinResult struct {
	Member  *Member
	Request *JoinRequest
}

// MemberRejection is one join request to reject, by requester.
type MemberRejection struct {
	AccountID string
	Reason    string
}

// MembershipService covers joining, join requests, members and roles. Every
// method decides its permissions with the rules in rules.go; groupID is the
// group's id.
type MembershipService interface {
	// Join joins a public group at once or sends a request to a private one.
	Join(ctx context.Context, actor Actor, groupID string, answers []Answer) (*JoinResult, error)
	Leave(ctx context.Context, actor Actor, groupID string) error
	// CancelJoinRequest cancels the actor's own pending request.
	CancelJoinRequest(ctx context.Context, actor Actor, groupID string) (*JoinRequest, error)
	ListJoinRequests(ctx context.Context, actor Actor, groupID string, q RequestQuery) (*Page[JoinRequest], error)
	// ListJoinRequestsOf is ListJoinRequests for a group just read for
	// actor, with actor's role: the queue page does not read it twice.
	ListJoinRequestsOf(ctx context.Context, actor Actor, g *GroupView, q RequestQuery) (*Page[JoinRequest], error)
	// MyJoinRequests lists the actor's own requests across groups.
	MyJoinRequests(ctx context.Context, actor Actor, q RequestQuery) (*Page[JoinRequest], error)
	// Inbox lists pending requests of every group the actor may decide, oldest first.
	Inbox(ctx context.Context, actor Actor, limit, offset int) (*Page[JoinRequest], error)
	InboxCount(ctx context.Context, actor Actor) (int, error)
	ApproveJoinRequests(ctx context.Context, actor Actor, groupID string, accountIDs []string) ([]BulkResult[JoinRequest], error)
	RejectJoinRequests(ctx context.Context, actor Actor, groupID string, rejections []MemberRejection) ([]BulkResult[JoinRequest], error)
	ListMembers(ctx context.Context, actor Actor, groupID string, limit, offset int) (*Page[Member], error)
	// ListMembersOf is ListMembers for a group just read for actor, with
	// actor's role: a page showing the group does not read it twice.
	ListMembersOf(ctx context.Context, actor Actor, g *GroupView, limit, offset int) (*Page[Member], error)
	// AddMembers adds site members directly (by account id).
	AddMembers(ctx context.Context, actor Actor, groupID string, accountIDs []string) ([]BulkResult[Member], error)
	RemoveMember(ctx context.Context, actor Actor, groupID, accountID string) error
	SetRole(ctx context.Context, actor Actor, groupID string, accountIDs []string, role Role) ([]BulkResult[Member], error)
	Questions(ctx context.Context, actor Actor, groupID string) ([]Question, error)
	SetQuestions(ctx context.Context, actor Actor, groupID string, qs []QuestionInput) ([]Question, error)
	PreviewPrivacyChange(ctx context.Context, actor Actor, groupID string, to Privacy) (*PrivacyPreview, error)
}
