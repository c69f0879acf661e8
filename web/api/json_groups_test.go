package api

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"guildhall/internal/guildhall"
)

// TestGroupsResponseJSON holds a page of groups written by appendJSON to
// the bytes encoding/json writes for it, whatever its strings hold.
func TestGroupsResponseJSON(t *testing.T) {
	odd := []string{"", "chess club", `quote " and \ back`, "<b>&amp;</b>", "tab\tnew\nline\rret\bbs\fff",
		"\x00\x01\x1f\x7f", "é ü ß 日本語 🎲", "\u2028\u2029", "bad \xff\xfe utf8 \xc3", "\xe2\x80", "a\u2028b<>&"}
	r := rand.New(rand.NewPCG(8, 8))
	randomString := func() string {
		if r.IntN(3) == 0 {
			return odd[r.IntN(len(odd))]
		}
		var b strings.Builder
		for range r.IntN(40) {
			switch r.IntN(4) {
			case 0:
				b.WriteByte(byte(r.IntN(256)))
			case 1:
				b.WriteRune(rune(r.IntN(0x3000)))
			default:
				b.WriteByte(byte(0x20 + r.IntN(0x60)))
			}
		}
		return b.String()
	}
	randomTime := func() time.Time {
		t := time.Unix(r.Int64N(4e9), r.Int64N(1e9)).UTC()
		if r.IntN(4) == 0 {
			t = t.Truncate(time.Second)
		}
		return t
	}
	for n := range 300 {
		var out groupsResponse
		if n%7 != 0 {
			out.Groups = []groupJSON{}
		}
		for range r.IntN(5) {
			out.Groups = append(out.Groups, groupJSON{
				ID: randomString(), Name: randomString(), Slug: randomString(), Description: randomString(),
				PrivacyStatus: guildhall.Privacy(randomString()),
				Settings:      guildhall.GroupSettings{MembersCanApprove: r.IntN(2) == 0, MembersCanInvite: r.IntN(2) == 0, ShowMemberList: r.IntN(2) == 0},
				MembersCount:  r.IntN(1_000_000) - 10, OwnerID: randomString(),
				CreatedDate: randomTime(), UpdatedDate: randomTime(), LastActivityDate: randomTime(),
			})
		}
		offset, total := r.IntN(1000), r.IntN(100_000)
		out.Metadata.Count = len(out.Groups)
		switch n % 3 {
		case 0:
			out.Metadata.Offset, out.Metadata.Total = &offset, &total
		case 1:
			out.Metadata.Cursors = &cursorsJSON{}
			if r.IntN(2) == 0 {
				s := randomString()
				out.Metadata.Cursors.Next = &s
			}
			if r.IntN(2) == 0 {
				s := randomString()
				out.Metadata.Cursors.Prev = &s
			}
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(&out); err != nil {
			t.Fatal(err)
		}
		got, ok := out.appendJSON(nil)
		if !ok {
			t.Fatalf("case %d: appendJSON gave up", n)
		}
		if got = append(got, '\n'); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("case %d:\n got %s\nwant %s", n, got, want.Bytes())
		}
	}
	for _, s := range odd {
		if got, want := appendJSONString(nil, s), mustMarshal(t, s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

// TestGroupsResponseJSONGivesUp: a time encoding/json refuses is left to
// it, and so becomes writeJSON's 500 as before.
func TestGroupsResponseJSONGivesUp(t *testing.T) {
	for _, at := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*60*60))} {
		out := groupsResponse{Groups: []groupJSON{{CreatedDate: at}}}
		if _, ok := out.appendJSON(nil); ok {
			t.Errorf("%v: appendJSON wrote it", at)
		}
		if _, err := json.Marshal(&out); err == nil {
			t.Errorf("%v: encoding/json wrote it", at)
		}
	}
}

// FuzzJSONString holds appendJSONString to encoding/json for any string.
func FuzzJSONString(f *testing.F) {
	f.Add("chess <&> \u2028 \xff")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendJSONString(nil, s), mustMarshal(t, s); !bytes.Equal(got, want) {
			t.Errorf("%q (valid %v): got %s, want %s", s, utf8.ValidString(s), got, want)
		}
	})
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
