package guildhall

import "testing"

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name, value, want string
	}{
		{"plain", "Hiking club", ""},
		{"right-to-left letters", "نادي المشي", ""},
		{"a mark beside letters", "Hiking\u200e club", ""},
		{"emoji with a joiner", "👩\u200d👩\u200d👧 Family", ""},
		{"NUL", "Hik\x00ing", "Name must not contain NUL characters."},
		{"invalid UTF-8", "Hik\xffing", "Name must be valid UTF-8 text."},
		{"empty", "", "Name is required."},
		{"zero-width space", "\u200b", "Name is required."},
		{"invisible mix", " \u200b\u200c\u200d\u2060\ufeff\u00ad\u034f\ufe0f\u3164\u2800 ", "Name is required."},
		{"right-to-left override", "\u202egnikih", "Name must not contain bidirectional control characters (U+202A to U+202E, U+2066 to U+2069)."},
		{"left-to-right embedding", "a\u202ab", "Name must not contain bidirectional control characters (U+202A to U+202E, U+2066 to U+2069)."},
		{"first strong isolate", "a\u2068b\u2069", "Name must not contain bidirectional control characters (U+202A to U+202E, U+2066 to U+2069)."},
		{"101 characters", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			"Name must be at most 100 characters."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v Validator
			CheckName(&v, "name", "Name", tc.value, 100, "100")
			got := ""
			if err := v.Err(); err != nil {
				got = FieldErrors(err)["name"]
			}
			if got != tc.want {
				t.Errorf("CheckName(%q) = %q, want %q", tc.value, got, tc.want)
			}
		})
	}
}

func TestTextProblem(t *testing.T) {
	for _, tc := range []struct{ value, want string }{
		{"", ""},
		{"line one\nline two\ttabbed", ""},
		{"\u202eallowed in free text", ""},
		{"a\x00", "must not contain NUL characters"},
		{"\xc3", "must be valid UTF-8 text"},
		{"\xed\xa0\x80", "must be valid UTF-8 text"}, // a UTF-16 surrogate
	} {
		if got := TextProblem(tc.value); got != tc.want {
			t.Errorf("TextProblem(%q) = %q, want %q", tc.value, got, tc.want)
		}
	}
}
