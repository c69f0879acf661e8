package web

import (
	"bytes"
	"context"
	"encoding/gob"
	"net/http/httptest"
	"testing"
)

// TestNoFlash pins when a page may skip decoding the session to look for a
// flash message: only when the row read with the session surely holds none
// and nothing in this request has asked for the session since.
func TestNoFlash(t *testing.T) {
	var old bytes.Buffer
	if err := gob.NewEncoder(&old).Encode(map[any]any{"account_id": "x"}); err != nil {
		t.Fatal(err)
	}
	withFlash, _ := encodeValues(map[any]any{"account_id": "x", keyFlash: "Saved."})
	without, _ := encodeValues(map[any]any{"account_id": "x"})
	valueOnly, _ := encodeValues(map[any]any{"account_id": "x", "note": keyFlash})
	tests := []struct {
		name    string
		loaded  *loadedSession
		noFlash bool
	}{
		{"no session read (no cookie)", nil, false},
		{"no live session", &loadedSession{token: "t"}, true},
		{"empty session", &loadedSession{token: "t", data: []byte{}}, true},
		{"JSON without a flash", &loadedSession{token: "t", data: without}, true},
		{"JSON with a flash", &loadedSession{token: "t", data: withFlash}, false},
		{"the word as a value: the long way", &loadedSession{token: "t", data: valueOnly}, false},
		{"an older gob row: the long way", &loadedSession{token: "t", data: old.Bytes()}, false},
		{"asked for since (may hold a new flash)", &loadedSession{token: "t", data: without, touched: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/groups", nil)
			if tt.loaded != nil {
				r = r.WithContext(context.WithValue(r.Context(), ctxSession, tt.loaded))
			}
			if got := noFlash(r); got != tt.noFlash {
				t.Errorf("noFlash = %v, want %v", got, tt.noFlash)
			}
		})
	}

	// Asking the store for the session marks it touched.
	pre := &loadedSession{token: "t", data: without}
	r := httptest.NewRequest("GET", "/groups", nil)
	r = r.WithContext(context.WithValue(r.Context(), ctxSession, pre))
	if _, err := NewSessionStore(nil).Get(r, sessionName); err != nil {
		t.Fatal(err)
	}
	if !pre.touched || noFlash(r) {
		t.Errorf("after SessionStore.Get: touched %v, noFlash %v; want true, false", pre.touched, noFlash(r))
	}
}
