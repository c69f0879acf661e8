package guildhall

import "context"

// EmailTopic groups notification kinds for the choice of email.
type EmailTopic string

// The topics, in the order the profile shows them.
const (
	TopicRequests  EmailTopic = "requests"
	TopicDecisions EmailTopic = "decisions"
	TopicAdded     EmailTopic = "added"
	TopicReminders EmailTopic = "reminders"
)

// EmailTopics lists every topic.
var EmailTopics = []EmailTopic{TopicRequests, TopicDecisions, TopicAdded, TopicReminders}

// Valid reports whether t is a known topic.
func (t EmailTopic) Valid() bool {
	for _, x := range EmailTopics {
		if x == t {
			return true
		}
	}
	return false
}

// Label is how the profile names the topic.
func (t EmailTopic) Label() string {
	switch t {
	case TopicRequests:
		return "New requests to decide"
	case TopicDecisions:
		return "Decisions on my requests"
	case TopicAdded:
		return "Being added to a group"
	case TopicReminders:
		return "Reminders and escalations"
	}
	return string(t)
}

// Topic is the email topic of notifications of kind k.
func (k NotificationKind) Topic() EmailTopic {
	switch k {
	case NewJoinRequests, NewCreateRequests:
		return TopicRequests
	case JoinRequestDecided, CreateRequestDecided:
		return TopicDecisions
	case AddedToGroup:
		return TopicAdded
	}
	return TopicReminders
}

// EmailMode is how a person gets a topic by email.
type EmailMode string

// The modes. AtOnce is the default of every topic; for new requests to
// decide it sends the first of a batch at once and the rest in the digest.
const (
	EmailOff    EmailMode = "OFF"
	EmailAtOnce EmailMode = "AT_ONCE"
	EmailDigest EmailMode = "DIGEST"
)

// EmailModes lists the modes in the order the profile offers them.
var EmailModes = []EmailMode{EmailOff, EmailAtOnce, EmailDigest}

// Valid reports whether m is a known mode.
func (m EmailMode) Valid() bool { return m == EmailOff || m == EmailAtOnce || m == EmailDigest }

// Label is "Off", "At once" or "Daily digest".
func (m EmailMode) Label() string {
	switch m {
	case EmailOff:
		return "Off"
	case EmailAtOnce:
		return "At once"
	case EmailDigest:
		return "Daily digest"
	}
	return string(m)
}

// EmailPreferences are a person's modes per topic (every topic present).
type EmailPreferences map[EmailTopic]EmailMode

// Check records a violation of "email.<topic>" for each unknown topic or
// mode.
func (p EmailPreferences) Check(v *Validator) {
	for _, t := range EmailTopics {
		if m, ok := p[t]; ok {
			v.Check(m.Valid(), "email."+string(t), "Choose Off, At once or Daily digest.")
		}
	}
	for t := range p {
		v.Check(t.Valid(), "email."+string(t), "There is no such kind of email.")
	}
}

// EmailPreferenceService reads and changes how a person gets email.
type EmailPreferenceService interface {
	EmailPreferences(ctx context.Context, actor Actor) (EmailPreferences, error)
	// SetEmailPreferences changes the topics given.
	SetEmailPreferences(ctx context.Context, actor Actor, p EmailPreferences) error
	// Unsubscribe turns off topic (every topic when empty) for accountID:
	// the caller has checked the signed link that names them.
	Unsubscribe(ctx context.Context, accountID string, topic EmailTopic) error
	// SigningKey is the key that signs unsubscribe links, shared by every
	// instance; made on first use.
	SigningKey(ctx context.Context) ([]byte, error)
}
