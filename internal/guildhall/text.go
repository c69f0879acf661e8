package guildhall

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text rules shared by every input: one place decides what text may be
// stored, so the dashboard, the API and the command line refuse the same
// things with the same words, and nothing PostgreSQL would refuse (a NUL, a
// byte sequence that is not UTF-8) ever reaches it.

// TextProblem says why s cannot be taken as text, or "" when it can: text
// must be valid UTF-8 and hold no NUL character (PostgreSQL stores neither).
// The answer completes a sentence whose subject is the field: "Name " +
// TextProblem(s) + ".".
func TextProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8 text"
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain NUL characters"
	}
	return ""
}

// CheckText records a violation of field when s is not text (TextProblem);
// label is the field as people read it ("Description"). It reports whether
// s is text, so callers check lengths and formats only of text.
func CheckText(v *Validator, field, label, s string) bool {
	if p := TextProblem(s); p != "" {
		v.Add(field, label+" "+p+".")
		return false
	}
	return true
}

// Visible reports whether s has a character that shows: a name made only
// of spaces, zero-width characters (U+200B), joiners, format controls or
// blank-looking fillers (U+3164) reads as nothing and counts as blank.
func Visible(s string) bool {
	for _, r := range s {
		if !invisible(r) {
			return true
		}
	}
	return false
}

// invisible reports whether r draws nothing: white space, a format control
// (Cf: zero-width space and joiners, bidi marks, soft hyphen, word joiner,
// BOM…), a variation selector or combining grapheme joiner on its own, and
// the filler letters and blank pattern that fonts draw empty.
func invisible(r rune) bool {
	switch r {
	case '\u034f', // combining grapheme joiner
		'\u115f', '\u1160', '\u3164', '\uffa0', // Hangul fillers
		'\u2800',           // braille pattern blank
		'\u180e',           // Mongolian vowel separator
		'\u17b4', '\u17b5': // Khmer inherent vowels (invisible)
		return true
	}
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Cc, r) ||
		unicode.Is(unicode.Variation_Selector, r)
}

// HasBidiControl reports whether s holds a bidirectional embedding,
// override or isolate control (U+202A–U+202E, U+2066–U+2069): in a name
// shown inside a sentence or a list they reorder the text around it (a
// group "\u202Egnikih" reads as "hiking"), so names refuse them. The
// plain marks (U+200E, U+200F, U+061C) only attach to their neighbours and
// stay allowed.
func HasBidiControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool {
		return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
	})
}

// CheckName is the rule of every name people read in lists and sentences
// (a group's, a display name, a token's, a membership question): text,
// something visible, no bidi controls, at most max characters. maxText is
// max as the message writes it ("100").
func CheckName(v *Validator, field, label, name string, max int, maxText string) {
	switch {
	case !CheckText(v, field, label, name):
	case !Visible(name):
		v.Add(field, label+" is required.")
	case HasBidiControl(name):
		v.Add(field, label+" must not contain bidirectional control characters (U+202A to U+202E, U+2066 to U+2069).")
	case utf8.RuneCountInString(name) > max:
		v.Add(field, label+" must be at most "+maxText+" characters.")
	}
}
