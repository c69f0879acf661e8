package api

import (
	"net/http"
	"time"

	"guildhall/internal/guildhall"
)

// webhookJSON is an endpoint as the API shows it; the secret is never
// part of it (it is shown once, beside it, when the endpoint is made).
type webhookJSON struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	EventTypes  []string  `json:"eventTypes"`
	GroupID     *string   `json:"groupId"`
	Enabled     bool      `json:"enabled"`
	CreatedDate time.Time `json:"createdDate"`
	// DisabledReason says why a disabled endpoint is (empty when enabled).
	DisabledReason string `json:"disabledReason"`
}

func webhookOut(w *guildhall.Webhook) webhookJSON {
	return webhookJSON{ID: w.ID, URL: w.URL, EventTypes: w.EventTypes, GroupID: w.GroupID, Enabled: w.Enabled,
		CreatedDate: w.CreatedAt.UTC(), DisabledReason: w.DisabledReason}
}

// deliveryJSON is one attempt of the delivery log.
type deliveryJSON struct {
	ID        string    `json:"id"`
	EventID   string    `json:"eventId"`
	EventType string    `json:"eventType"`
	Attempt   int       `json:"attempt"`
	Date      time.Time `json:"date"`
	// StatusCode is null when no answer came (refused, timed out).
	StatusCode      *int   `json:"statusCode"`
	DurationMs      int64  `json:"durationMs"`
	ResponseExcerpt string `json:"responseExcerpt"`
	Error           string `json:"error"`
	Succeeded       bool   `json:"succeeded"`
}

func deliveryOut(d *guildhall.Delivery) deliveryJSON {
	return deliveryJSON{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Attempt: d.Attempt, Date: d.At.UTC(),
		StatusCode: d.StatusCode, DurationMs: d.Duration.Milliseconds(), ResponseExcerpt: d.ResponseExcerpt,
		Error: d.Error, Succeeded: d.Succeeded}
}

type (
	webhookInputJSON struct {
		URL *string `json:"url"`
		// EventTypes are the types to send, or ["*"] for all.
		EventTypes []string `json:"eventTypes"`
		// GroupID makes the endpoint a group's (its admins manage it, and
		// it receives that group's events only).
		GroupID string `json:"groupId,omitempty"`
	}
	createWebhookBody struct {
		Webhook *webhookInputJSON `json:"webhook" openapi:"notnull"`
	}
	webhookPatchJSON struct {
		URL        *string  `json:"url,omitempty"`
		EventTypes []string `json:"eventTypes,omitempty"`
		Enabled    *bool    `json:"enabled,omitempty"`
	}
	updateWebhookBody struct {
		Webhook *webhookPatchJSON `json:"webhook" openapi:"notnull"`
	}
	webhookResponse struct {
		Webhook webhookJSON `json:"webhook"`
	}
	webhookCreatedResponse struct {
		Webhook webhookJSON `json:"webhook"`
		// Secret signs the deliveries (whsec_ + base64); shown only here.
		Secret string `json:"secret"`
	}
	webhooksResponse struct {
		Webhooks []webhookJSON `json:"webhooks"`
	}
	deliveriesResponse struct {
		Deliveries []deliveryJSON `json:"deliveries"`
		Metadata   metadataJSON   `json:"metadata"`
	}
)

var groupIDParam = param{Name: "groupId", Type: "string",
	Description: "Only this group's endpoints; without it, every endpoint the caller manages."}

// webhookField names a field of the webhook input the way the API does.
func webhookField(field string) string { return "webhook." + field }

func (h *Handler) listWebhooks(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	scope := guildhall.WebhookScope{All: true}
	if q := r.URL.Query(); q.Has("groupId") {
		scope = guildhall.WebhookScope{GroupID: q.Get("groupId")}
		if scope.GroupID == "" {
			return invalid("groupId", "Give a group id, or leave groupId out.")
		}
	}
	list, err := h.cfg.Webhooks.ListWebhooks(r.Context(), actor, scope)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhooksResponse{Webhooks: mapItems(list, webhookOut)})
	return nil
}

func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body createWebhookBody
	if err := decode(w, r, &body, false); err != nil {
		return err
	}
	if body.Webhook == nil {
		return invalid("webhook", "Give the webhook to register.")
	}
	in := guildhall.NewWebhook{URL: deref(body.Webhook.URL), EventTypes: body.Webhook.EventTypes, GroupID: body.Webhook.GroupID}
	hook, secret, err := h.cfg.Webhooks.CreateWebhook(r.Context(), actor, in)
	if err != nil {
		return renameFields(err, webhookField)
	}
	writeJSON(w, http.StatusCreated, webhookCreatedResponse{Webhook: webhookOut(hook), Secret: secret})
	return nil
}

func (h *Handler) updateWebhook(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body updateWebhookBody
	if err := decode(w, r, &body, false); err != nil {
		return err
	}
	if body.Webhook == nil {
		return invalid("webhook", "Give the fields to change.")
	}
	u := guildhall.WebhookUpdate{URL: body.Webhook.URL, EventTypes: body.Webhook.EventTypes, Enabled: body.Webhook.Enabled}
	hook, err := h.cfg.Webhooks.UpdateWebhook(r.Context(), actor, r.PathValue("id"), u)
	if err != nil {
		return renameFields(err, webhookField)
	}
	writeJSON(w, http.StatusOK, webhookResponse{Webhook: webhookOut(hook)})
	return nil
}

func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	hook, err := h.cfg.Webhooks.DeleteWebhook(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookResponse{Webhook: webhookOut(hook)})
	return nil
}

func (h *Handler) listDeliveries(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := h.cfg.Webhooks.Deliveries(r.Context(), actor, r.PathValue("id"), limit, offset)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, deliveriesResponse{Deliveries: mapItems(page.Items, deliveryOut), Metadata: offsetMetadata(page)})
	return nil
}

func (h *Handler) redeliver(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	if err := h.cfg.Webhooks.Redeliver(r.Context(), actor, r.PathValue("id"), r.PathValue("deliveryId")); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, emptyResponse{})
	return nil
}

func (h *Handler) sendTestEvent(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	if err := h.cfg.Webhooks.SendTestEvent(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, emptyResponse{})
	return nil
}
