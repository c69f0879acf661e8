package templates

import (
	"fmt"
	"strings"

	"guildhall/internal/guildhall"
)

// AuditSentence words an audit entry for people, e.g. "Ada Admin approved
// the creation of Hiking Club". Every action the log records has its
// sentence; one it does not know yet still reads as a sentence.
func AuditSentence(e guildhall.AuditEntry) string {
	before, after := e.Before, e.After
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
	case guildhall.ActionPolicyChanged:
		return fmt.Sprintf("%s changed who can create groups from %q to %q", who,
			before.CreationPolicy.Label(), after.CreationPolicy.Label())
	case guildhall.ActionLifecycleChanged:
		return fmt.Sprintf("%s changed when pending requests expire, remind and escalate", who)
	case guildhall.ActionGroupCreated:
		return fmt.Sprintf("%s created %s", who, what)
	case guildhall.ActionGroupUpdated:
		if before.Name != "" && after.Name != "" && before.Name != after.Name {
			return fmt.Sprintf("%s renamed %s to %s", who, before.Name, after.Name)
		}
		return fmt.Sprintf("%s updated %s", who, what)
	case guildhall.ActionGroupPrivacyChanged:
		return fmt.Sprintf("%s changed the privacy of %s from %s to %s", who, what,
			before.Privacy.Label(), after.Privacy.Label())
	case guildhall.ActionGroupDeleted:
		return fmt.Sprintf("%s deleted %s", who, what)
	case guildhall.ActionCreateRequestSubmitted:
		return fmt.Sprintf("%s asked to create %s", who, what)
	case guildhall.ActionCreateRequestApproved:
		return fmt.Sprintf("%s approved the creation of %s", who, what)
	case guildhall.ActionCreateRequestRejected:
		return fmt.Sprintf("%s rejected the creation of %s%s", who, what, reason)
	case guildhall.ActionCreateRequestCanceled:
		return fmt.Sprintf("%s canceled the request to create %s", who, what)
	case guildhall.ActionJoinRequestSubmitted:
		return fmt.Sprintf("%s asked to join %s", who, what)
	case guildhall.ActionJoinRequestApproved:
		return fmt.Sprintf("%s approved %s's request to join %s%s", who, subject, what, cause)
	case guildhall.ActionJoinRequestRejected:
		return fmt.Sprintf("%s rejected %s's request to join %s%s%s", who, subject, what, reason, cause)
	case guildhall.ActionJoinRequestCanceled:
		if subject != "" && subject != who {
			return fmt.Sprintf("%s's request to join %s was canceled%s", subject, what, cause)
		}
		return fmt.Sprintf("%s canceled their request to join %s", who, what)
	case guildhall.ActionMemberJoined:
		return fmt.Sprintf("%s joined %s", who, what)
	case guildhall.ActionMemberAdded:
		return fmt.Sprintf("%s added %s to %s%s", who, subject, what, cause)
	case guildhall.ActionMemberRemoved:
		return fmt.Sprintf("%s removed %s from %s", who, subject, what)
	case guildhall.ActionMemberLeft:
		return fmt.Sprintf("%s left %s", who, what)
	case guildhall.ActionMemberRoleChanged:
		return fmt.Sprintf("%s made %s %s of %s", who, subject, roleNoun(after.Role), what)
	case guildhall.ActionQuestionsChanged:
		return fmt.Sprintf("%s changed the membership questions of %s", who, what)
	case guildhall.ActionTokenCreated:
		return fmt.Sprintf("%s created the %s “%s”", who, tokenNoun(after.Elevated), what)
	case guildhall.ActionTokenRevoked:
		return fmt.Sprintf("%s revoked the %s “%s”", who, tokenNoun(before.Elevated), what)
	}
	if what == "" {
		return fmt.Sprintf("%s: %s", who, AuditActionLabel(e.Action))
	}
	return fmt.Sprintf("%s: %s (%s)", who, AuditActionLabel(e.Action), what)
}

// AuditActionLabel words an action key for a filter's choices: "join_request.approved"
// reads "Join request approved".
func AuditActionLabel(action string) string {
	s := strings.NewReplacer(".", " ", "_", " ").Replace(action)
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func roleNoun(r guildhall.Role) string {
	if r == guildhall.RoleAdmin {
		return "an admin"
	}
	return "a member"
}

func tokenNoun(elevated bool) string {
	if elevated {
		return "elevated API token"
	}
	return "API token"
}
