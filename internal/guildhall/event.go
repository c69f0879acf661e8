package guildhall

import "time"

// Event types, as webhooks subscribe to them (api.md, "Events and webhook
// deliveries").
const (
	EventGroupCreated           = "group.created"
	EventGroupUpdated           = "group.updated"
	EventGroupDeleted           = "group.deleted"
	EventCreateRequestSubmitted = "create_request.submitted"
	EventCreateRequestApproved  = "create_request.approved"
	EventCreateRequestRejected  = "create_request.rejected"
	EventCreateRequestCanceled  = "create_request.canceled"
	EventJoinRequestSubmitted   = "join_request.submitted"
	EventJoinRequestApproved    = "join_request.approved"
	EventJoinRequestRejected    = "join_request.rejected"
	EventJoinRequestCanceled    = "join_request.canceled"
	EventMemberAdded            = "member.added"
	EventMemberRemoved          = "member.removed"
	EventMemberLeft             = "member.left"
	EventMemberRoleChanged      = "member.role_changed"
	EventSiteSettingsUpdated    = "site_settings.updated"
	// EventWebhookTest is what "Send test event" sends; nobody subscribes
	// to it, it goes to the one endpoint asked.
	EventWebhookTest = "webhook.test"
	// AllEvents subscribes an endpoint to every type.
	AllEvents = "*"
)

// EventTypes lists every type an endpoint may subscribe to, in the order
// pages offer them.
var EventTypes = []string{
	EventGroupCreated, EventGroupUpdated, EventGroupDeleted,
	EventCreateRequestSubmitted, EventCreateRequestApproved, EventCreateRequestRejected, EventCreateRequestCanceled,
	EventJoinRequestSubmitted, EventJoinRequestApproved, EventJoinRequestRejected, EventJoinRequestCanceled,
	EventMemberAdded, EventMemberRemoved, EventMemberLeft, EventMemberRoleChanged,
	EventSiteSettingsUpdated,
}

// eventsOfAction are the events an audited action raises. A privacy change
// is told by its group.updated event (whose changes name the privacy); the
// membership questions and API tokens are not part of any API object, so
// they raise none. An approved create request also creates its group.
var eventsOfAction = map[string][]string{
	ActionPolicyChanged:          {EventSiteSettingsUpdated},
	ActionLifecycleChanged:       {EventSiteSettingsUpdated},
	ActionGroupCreated:           {EventGroupCreated},
	ActionGroupUpdated:           {EventGroupUpdated},
	ActionGroupDeleted:           {EventGroupDeleted},
	ActionCreateRequestSubmitted: {EventCreateRequestSubmitted},
	ActionCreateRequestApproved:  {EventCreateRequestApproved, EventGroupCreated},
	ActionCreateRequestRejected:  {EventCreateRequestRejected},
	ActionCreateRequestCanceled:  {EventCreateRequestCanceled},
	ActionJoinRequestSubmitted:   {EventJoinRequestSubmitted},
	ActionJoinRequestApproved:    {EventJoinRequestApproved},
	ActionJoinRequestRejected:    {EventJoinRequestRejected},
	ActionJoinRequestCanceled:    {EventJoinRequestCanceled},
	ActionMemberJoined:           {EventMemberAdded},
	ActionMemberAdded:            {EventMemberAdded},
	ActionMemberRemoved:          {EventMemberRemoved},
	ActionMemberLeft:             {EventMemberLeft},
	ActionMemberRoleChanged:      {EventMemberRoleChanged},
}

// EventsOf returns the event types an audited action raises (none for most
// housekeeping).
func EventsOf(action string) []string { return eventsOfAction[action] }

// ValidEventType reports whether t may be subscribed to.
func ValidEventType(t string) bool {
	if t == AllEvents {
		return true
	}
	for _, e := range EventTypes {
		if e == t {
			return true
		}
	}
	return false
}

// EventSubject is what an event is about, as it stood when the change was
// made; the API renders it as the objects it shows elsewhere.
type EventSubject struct {
	Group         *Group         `json:",omitempty"`
	CreateRequest *CreateRequest `json:",omitempty"`
	JoinRequest   *JoinRequest   `json:",omitempty"`
	Member        *Member        `json:",omitempty"`
	Settings      *SiteSettings  `json:",omitempty"`
	// Changes says what a group.updated changed: field → before and after.
	Changes map[string]Change `json:",omitempty"`
	// Webhook is the endpoint a test event was sent to.
	Webhook *Webhook `json:",omitempty"`
}

// Change is one field's value before and after.
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// Event is one change others may subscribe to.
type Event struct {
	ID   string    `db:"id"`
	Type string    `db:"type"`
	At   time.Time `db:"at"`
	// ActorID is empty when the system acted (no person, e.g. a timer).
	ActorID   string `db:"actor_id"`
	ActorName string `db:"actor_name"`
	// AuditID is the audit entry of the same change (0 for a test event).
	AuditID int64 `db:"audit_id"`
	Subject EventSubject
}
