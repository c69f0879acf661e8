package guildhall

import (
	"regexp"
	"strings"
	"testing"
)

func TestSlugify(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"words joined by dashes", "Hiking Club", "hiking-club"},
		{"accents folded", "Café Crème à Zürich", "cafe-creme-a-zurich"},
		{"ligatures and sharp s", "Œuvre Straße Æsir", "oeuvre-strasse-aesir"},
		{"combining accent", "Cafe\u0301", "cafe"},
		{"punctuation collapses", "Rock & Roll -- Fans!!", "rock-roll-fans"},
		{"trimmed of dashes", "  --Chess--  ", "chess"},
		{"digits kept", "Class of 2024", "class-of-2024"},
		{"underscores and dots separate", "a_b.c", "a-b-c"},
		{"non-latin letters separate", "Клуб Book", "book"},
		{"nothing usable", "¡¿!?", "group"},
		{"empty", "", "group"},
		{"only spaces", "   ", "group"},
		{"cut at 60 without a trailing dash", strings.Repeat("a", 59) + " bcd", strings.Repeat("a", 59)},
		{"cut at 60", strings.Repeat("ab", 40), strings.Repeat("ab", 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Slugify(tt.in); got != tt.want {
				t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSlugifyShape(t *testing.T) {
	shape := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	for _, in := range []string{"Hiking Club", "É", "x--y", "-", "Ünïcödé Ñame ☃ 🎉 Party", strings.Repeat("é ", 100)} {
		got := Slugify(in)
		if !shape.MatchString(got) || len(got) > MaxSlugLength {
			t.Errorf("Slugify(%q) = %q: not lowercase words joined by single dashes within 60 chars", in, got)
		}
	}
}

func TestRandomSlug(t *testing.T) {
	shape := regexp.MustCompile(`^[a-z2-7]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		s := RandomSlug()
		if !shape.MatchString(s) {
			t.Fatalf("RandomSlug() = %q, want 12 lowercase base32 characters", s)
		}
		if seen[s] {
			t.Fatalf("RandomSlug() repeated %q within 1000 draws", s)
		}
		seen[s] = true
	}
}
