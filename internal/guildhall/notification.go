package guildhall

import (
	"context"
	"fmt"
	"time"
)

// NotificationKind is what a notification is about.
type NotificationKind string

// The notification kinds. A batched kind is one notification per recipient
// while it is unread; the next item of the batch raises its count.
const (
	// NewJoinRequests tells a group's deciders that requests wait (batched per group).
	NewJoinRequests NotificationKind = "join_requests.new"
	// JoinRequestDecided tells a requester their request to join was approved, rejected or canceled.
	JoinRequestDecided NotificationKind = "join_request.decided"
	// AddedToGroup tells a person someone added them to a group.
	AddedToGroup NotificationKind = "member.added"
	// CreateRequestDecided tells a requester their group creation was decided.
	CreateRequestDecided NotificationKind = "create_request.decided"
	// NewCreateRequests tells site admins that group creations wait (batched).
	NewCreateRequests NotificationKind = "create_requests.new"
	// RequestsReminder reminds a decider of requests that waited (batched).
	RequestsReminder NotificationKind = "requests.reminder"
	// RequestsEscalated tells site admins that requests waited too long (batched).
	RequestsEscalated NotificationKind = "requests.escalated"
)

// Notification is one message to one person.
type Notification struct {
	ID        string           `db:"id"`
	AccountID string           `db:"account_id"`
	Kind      NotificationKind `db:"kind"`
	GroupID   *string          `db:"group_id"`
	// GroupName is the name the recipient knew when it was written.
	GroupName string `db:"group_name"`
	// GroupSlug is the group's current slug while the recipient may still
	// reach it ("" otherwise): links never reveal a group turned secret.
	GroupSlug string     `db:"group_slug"`
	Status    Status     `db:"status"`
	Reason    string     `db:"reason"`
	Count     int        `db:"count"`
	CreatedAt time.Time  `db:"created_at"`
	UpdatedAt time.Time  `db:"updated_at"`
	ReadAt    *time.Time `db:"read_at"`
}

// Unread reports whether the recipient has not marked it read.
func (n Notification) Unread() bool { return n.ReadAt == nil }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf(many, n)
}

// Message is the sentence people read, e.g. "12 new requests to join
// Hiking Club".
func (n Notification) Message() string {
	switch n.Kind {
	case NewJoinRequests:
		return plural(n.Count, "1 new request", "%d new requests") + " to join " + n.GroupName
	case JoinRequestDecided:
		s := fmt.Sprintf("Your request to join %s was %s", n.GroupName, statusWord(n.Status))
		if n.Reason != "" {
			s += ": " + n.Reason
		}
		return s
	case AddedToGroup:
		return "You were added to " + n.GroupName
	case CreateRequestDecided:
		s := fmt.Sprintf("Your request to create %s was %s", n.GroupName, statusWord(n.Status))
		if n.Reason != "" {
			s += ": " + n.Reason
		}
		return s
	case NewCreateRequests:
		return plural(n.Count, "1 new request", "%d new requests") + " to create a group"
	case RequestsReminder:
		return plural(n.Count, "1 request has", "%d requests have") + " waited a while for your decision"
	case RequestsEscalated:
		return plural(n.Count, "1 request has", "%d requests have") + " waited too long and now waits for site admins too"
	}
	return string(n.Kind)
}

func statusWord(s Status) string {
	switch s {
	case Approved:
		return "approved"
	case Rejected:
		return "rejected"
	case Canceled:
		return "canceled"
	}
	return "decided"
}

// Link is where the notification leads ("" for nowhere).
func (n Notification) Link() string {
	switch n.Kind {
	case NewJoinRequests:
		if n.GroupSlug != "" {
			return "/groups/" + n.GroupSlug + "/requests"
		}
		return "/inbox"
	case JoinRequestDecided:
		if n.Status == Approved && n.GroupSlug != "" {
			return "/groups/" + n.GroupSlug
		}
		return "/me/requests"
	case AddedToGroup:
		if n.GroupSlug != "" {
			return "/groups/" + n.GroupSlug
		}
	case CreateRequestDecided:
		if n.Status == Approved && n.GroupSlug != "" {
			return "/groups/" + n.GroupSlug
		}
		return "/me/requests"
	case NewCreateRequests:
		return "/admin/create-requests"
	case RequestsReminder, RequestsEscalated:
		return "/inbox"
	}
	return ""
}

// NotificationQuery selects a person's notifications, newest first.
type NotificationQuery struct {
	UnreadOnly bool
	Limit      int
	Offset     int
}

// NotificationService reads and marks the actor's own notifications; the
// other services write them in the transactions of the changes they report.
type NotificationService interface {
	Notifications(ctx context.Context, actor Actor, q NotificationQuery) (*Page[Notification], error)
	// UnreadCount is the navigation's count: one primary-key read.
	UnreadCount(ctx context.Context, actor Actor) (int, error)
	// MarkRead marks the given notifications read, or all of them when ids
	// is nil, and returns how many it marked.
	MarkRead(ctx context.Context, actor Actor, ids []string) (int, error)
}
