package api

import (
	"encoding/json"
	"reflect"
	"slices"
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

// jsonSchema: a changed field's values keep the field's own type.
func (changeJSON) jsonSchema() map[string]any {
	return map[string]any{"type": "object", "required": []string{"from", "to"}, "additionalProperties": false,
		"properties": map[string]any{"from": map[string]any{"description": "The value before."},
			"to": map[string]any{"description": "The value after."}}}
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

// eventDescriptions say what each event's data holds.
var eventDescriptions = map[string]string{
	guildhall.EventGroupCreated:           "A group was created (directly, or by approving a create request: then createRequest too). data: group.",
	guildhall.EventGroupUpdated:           "A group's fields changed; a privacy change is one too. data: group (as changed), changes (field: {from, to}).",
	guildhall.EventGroupDeleted:           "A group was deleted (its pending join requests are canceled, each its own event). data: group (as it was).",
	guildhall.EventCreateRequestSubmitted: "Someone asked to create a group. data: createRequest.",
	guildhall.EventCreateRequestApproved:  "A site admin approved a create request. data: createRequest, group.",
	guildhall.EventCreateRequestRejected:  "A create request was rejected (by a site admin, or expired: actor null). data: createRequest.",
	guildhall.EventCreateRequestCanceled:  "The requester withdrew a create request. data: createRequest.",
	guildhall.EventJoinRequestSubmitted:   "Someone asked to join a private group. data: joinRequest, group.",
	guildhall.EventJoinRequestApproved:    "A join request was approved (by a decider, by adding the person, or by a change to public). data: joinRequest, group.",
	guildhall.EventJoinRequestRejected:    "A join request was rejected (by a decider, by a change to secret, or expired: actor null). data: joinRequest, group.",
	guildhall.EventJoinRequestCanceled:    "A join request was canceled (by the requester, or because the group was deleted). data: joinRequest, group.",
	guildhall.EventMemberAdded:            "Someone became a member (joined a public group, or was added). data: member, group.",
	guildhall.EventMemberRemoved:          "An admin removed a member. data: member, group.",
	guildhall.EventMemberLeft:             "A member left. data: member, group.",
	guildhall.EventMemberRoleChanged:      "A member was made ADMIN or MEMBER. data: member (with the new role), group.",
	guildhall.EventSiteSettingsUpdated:    "A site admin changed the site settings. data: settings.",
	guildhall.EventWebhookTest:            `"Send test event" on one endpoint; no subscription needed. data: webhook.`,
}

// eventWebhooks is the OpenAPI document's webhooks section: one POST per
// event type, with its headers and body.
func eventWebhooks(s *schemaSet) map[string]any {
	body := s.of(reflect.TypeOf(eventJSON{}))
	header := func(name, desc string) map[string]any {
		return map[string]any{"name": name, "in": "header", "required": true, "description": desc, "schema": map[string]any{"type": "string"}}
	}
	params := []any{
		header("webhook-id", "The event's id: the same on every retry, so receivers can drop repeats."),
		header("webhook-timestamp", "When this attempt was sent, in Unix seconds."),
		header("webhook-signature", "v1, and the base64 HMAC-SHA256 of \"{webhook-id}.{webhook-timestamp}.{body}\" keyed with the "+
			"secret's bytes (the secret is whsec_ and their base64)."),
	}
	out := map[string]any{}
	for _, t := range append(slices.Clone(guildhall.EventTypes), guildhall.EventWebhookTest) {
		out[t] = map[string]any{"post": map[string]any{
			"operationId": "event." + t, "summary": eventDescriptions[t], "tags": []string{"Events"},
			"parameters": params,
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"allOf": []any{body, map[string]any{"properties": map[string]any{
					"type": map[string]any{"const": t}}}}}}}},
			"responses": map[string]any{"2XX": map[string]any{"description": "Received. Anything else, or no answer within 15 s, " +
				"is retried with exponential backoff for about a day; an endpoint failing for a day is disabled."}},
		}}
	}
	return out
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
		st := settingsOut(s.Settings).Settings
		d.Settings = &st
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
