package api_test

import (
	"encoding/json"
	"testing"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/web/api"
)

// A site_settings.updated delivery shows the settings as GET /settings does,
// the request lifecycle included (a change of a timer is such an event).
func TestEventBodyShowsSiteSettingsWhole(t *testing.T) {
	days := 7
	ev := &guildhall.Event{ID: "e1", Type: "site_settings.updated", At: time.Unix(0, 0),
		Subject: guildhall.EventSubject{Settings: &guildhall.SiteSettings{
			CreationPolicy:   guildhall.CreationPolicy("ALL_MEMBERS"),
			RequestLifecycle: guildhall.RequestLifecycle{ExpireAfterDays: &days},
		}}}
	body, err := api.EventBody(ev)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Data struct {
			Settings map[string]any `json:"settings"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	if got.Data.Settings["expireAfterDays"] != float64(7) || got.Data.Settings["creationPolicy"] != "ALL_MEMBERS" {
		t.Errorf("settings in the delivery = %v, want creationPolicy ALL_MEMBERS and expireAfterDays 7 (%s)", got.Data.Settings, body)
	}
}
