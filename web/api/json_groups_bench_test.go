package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"guildhall/internal/guildhall"
)

func benchPage() *groupsResponse {
	out := &groupsResponse{Groups: []groupJSON{}}
	at := time.Date(2026, 12, 3, 3, 4, 5, 123456000, time.UTC)
	for i := range 20 {
		out.Groups = append(out.Groups, groupJSON{ID: "b8422728-1adc-4dd1-b185-314f79ab850e", Name: fmt.Sprintf("Chess club %d", i),
			Slug: fmt.Sprintf("chess-club-%d", i), Description: "A seeded group for the load benchmark, with a description of some length.",
			PrivacyStatus: guildhall.Public, MembersCount: 10, OwnerID: "b8422728-1adc-4dd1-b185-314f79ab850e",
			CreatedDate: at, UpdatedDate: at, LastActivityDate: at})
	}
	offset, total := 0, 5000
	out.Metadata = metadataJSON{Count: 20, Offset: &offset, Total: &total}
	return out
}

func BenchmarkGroupsJSONEncoding(b *testing.B) {
	out := benchPage()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(out)
	}
}

func BenchmarkGroupsJSONAppend(b *testing.B) {
	out := benchPage()
	var buf []byte
	for b.Loop() {
		buf, _ = out.appendJSON(buf[:0])
	}
}
