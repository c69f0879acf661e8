package api

import (
	"encoding/json"
	"time"

	"guildhall/internal/guildhall"
)

// The body of a webhook delivery, {type, timestamp, data}: data holds the
// event's subject as the API shows it elsewhere and the actor. Each type is
// also a schema of the OpenAPI document's webhooks section.

type eventActorJSON struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

type changeJSON struct {
	From any `json:"from"`
	To   any `json:"to"`
}

type webhookRefJSON struct {
	ID      string  `json:"id"`
	URL     string  `json:"url"`
	GroupID *string `json:"groupId"`
}

// eventDataJSON holds the objects an event is about; which ones depends on
// the type ({group}, {createRequest, group?}, {joinRequest, group},
// {member, group}, {settings}), and actor is null when the system acted.
type eventDataJSON struct {
	Actor         *eventActorJSON       `json:"actor"`
	Group         *groupJSON            `json:"group,omitempty"`
	Changes       map[string]changeJSON `json:"changes,omitempty"`
	CreateRequest *createRequestJSON    `json:"createRequest,omitempty"`
	JoinRequest   *joinRequestJSON      `json:"joinRequest,omitempty"`
	Member        *memberJSON           `json:"member,omitempty"`
	Settings      *siteSettingsJSON     `json:"settings,omitempty"`
	Webhook       *webhookRefJSON       `json:"webhook,omitempty"`
}

type eventJSON struct {
	Type      string        `json:"type"`
	Timestamp time.Time     `json:"timestamp"`
	Data      eventDataJSON `json:"data"`
}

// EventBody renders an event as a webhook delivery's JSON body. The same
// event renders to the same bytes, so every retry carries the same body.
func EventBody(e *guildhall.Event) ([]byte, error) {
	out := eventJSON{Type: e.Type, Timestamp: e.At.UTC()}
	d, s := &out.Data, &e.Subject
	if e.ActorID != "" { // null: the system acted (an expiry, a timer)
		d.Actor = &eventActorJSON{ID: e.ActorID, DisplayName: e.ActorName}
	}
	if s.Group != nil {
		g := groupOut(s.Group)
		d.Group = &g
	}
	if len(s.Changes) > 0 {
		d.Changes = map[string]changeJSON{}
		for k, c := range s.Changes {
			d.Changes[apiFieldName(k)] = changeJSON(c)
		}
	}
	if s.CreateRequest != nil {
		r := createRequestOut(s.CreateRequest)
		d.CreateRequest = &r
	}
	if s.JoinRequest != nil {
		r := joinRequestOut(s.JoinRequest)
		d.JoinRequest = &r
	}
	if s.Member != nil {
		m := memberOut(s.Member)
		d.Member = &m
	}
	if s.Settings != nil {
		d.Settings = &siteSettingsJSON{CreationPolicy: s.Settings.CreationPolicy, UpdatedDate: s.Settings.UpdatedAt.UTC()}
	}
	if s.Webhook != nil {
		d.Webhook = &webhookRefJSON{ID: s.Webhook.ID, URL: s.Webhook.URL, GroupID: s.Webhook.GroupID}
	}
	return json.Marshal(out)
}

// apiFieldName is the API's name of a changed group field.
func apiFieldName(field string) string {
	if field == "privacy" {
		return "privacyStatus"
	}
	return field
}
