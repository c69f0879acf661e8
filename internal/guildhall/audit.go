package guildhall

import (
	"encoding/json"
	"fmt"
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
// JSON. Subject names the person a member or join-request action is about.
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

// auditDetail is the part of before/after JSON that sentences use.
type auditDetail struct {
	Subject string `json:"subject"`
	Role    Role   `json:"role"`
	Policy  string `json:"creationPolicy"`
	Privacy string `json:"privacy"`
	Name    string `json:"name"`
	Reason  string `json:"reason"`
	Cause   string `json:"cause"`
}

// Sentence renders the entry for people, e.g. "Ada Admin approved the
// creation of Hiking Club".
func (e AuditEntry) Sentence() string {
	var before, after auditDetail
	_ = json.Unmarshal(e.Before, &before)
	_ = json.Unmarshal(e.After, &after)
	who, what := e.ActorName, e.TargetName
	subject := after.Subject
	if subject == "" {
		subject = before.Subject
	}
	reason := ""
	if after.Reason != "" {
		reason = fmt.Sprintf(" (reason: %s)", after.Reason)
	}
	cause := ""
	if after.Cause != "" {
		cause = " (" + after.Cause + ")"
	}
	switch e.Action {
	case ActionPolicyChanged:
		return fmt.Sprintf("%s changed who can create groups from %q to %q", who,
			CreationPolicy(before.Policy).Label(), CreationPolicy(after.Policy).Label())
	case ActionLifecycleChanged:
		return fmt.Sprintf("%s changed when pending requests expire, remind and escalate", who)
	case ActionGroupCreated:
		return fmt.Sprintf("%s created %s", who, what)
	case ActionGroupUpdated:
		if before.Name != "" && after.Name != "" && before.Name != after.Name {
			return fmt.Sprintf("%s renamed %s to %s", who, before.Name, after.Name)
		}
		return fmt.Sprintf("%s updated %s", who, what)
	case ActionGroupPrivacyChanged:
		return fmt.Sprintf("%s changed the privacy of %s from %s to %s", who, what,
			Privacy(before.Privacy).Label(), Privacy(after.Privacy).Label())
	case ActionGroupDeleted:
		return fmt.Sprintf("%s deleted %s", who, what)
	case ActionCreateRequestSubmitted:
		return fmt.Sprintf("%s asked to create %s", who, what)
	case ActionCreateRequestApproved:
		return fmt.Sprintf("%s approved the creation of %s", who, what)
	case ActionCreateRequestRejected:
		return fmt.Sprintf("%s rejected the creation of %s%s", who, what, reason)
	case ActionCreateRequestCanceled:
		return fmt.Sprintf("%s canceled the request to create %s", who, what)
	case ActionJoinRequestSubmitted:
		return fmt.Sprintf("%s asked to join %s", who, what)
	case ActionJoinRequestApproved:
		return fmt.Sprintf("%s approved %s's request to join %s%s", who, subject, what, cause)
	case ActionJoinRequestRejected:
		return fmt.Sprintf("%s rejected %s's request to join %s%s%s", who, subject, what, reason, cause)
	case ActionJoinRequestCanceled:
		if subject != "" && subject != who {
			return fmt.Sprintf("%s's request to join %s was canceled%s", subject, what, cause)
		}
		return fmt.Sprintf("%s canceled their request to join %s", who, what)
	case ActionMemberJoined:
		return fmt.Sprintf("%s joined %s", who, what)
	case ActionMemberAdded:
		return fmt.Sprintf("%s added %s to %s%s", who, subject, what, cause)
	case ActionMemberRemoved:
		return fmt.Sprintf("%s removed %s from %s", who, subject, what)
	case ActionMemberLeft:
		return fmt.Sprintf("%s left %s", who, what)
	case ActionMemberRoleChanged:
		return fmt.Sprintf("%s made %s %s of %s", who, subject, roleNoun(after.Role), what)
	case ActionQuestionsChanged:
		return fmt.Sprintf("%s changed the membership questions of %s", who, what)
	}
	return fmt.Sprintf("%s: %s on %s", who, e.Action, what)
}

func roleNoun(r Role) string {
	if r == RoleAdmin {
		return "an admin"
	}
	return "a member"
}
