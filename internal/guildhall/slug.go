package guildhall

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
	"unicode"
)

// MaxSlugLength bounds a slug made from a name (a collision suffix such as
// "-2" may follow it).
const MaxSlugLength = 60

// fallbackSlug is the slug of a name with no letters or digits in it.
const fallbackSlug = "group"

// foldAccents spells accented Latin letters (Latin-1 and Latin Extended-A,
// lowercase, since Slugify lowers first) in plain ASCII. A small table keeps
// golang.org/x/text out of go.mod for the one place that would use it.
var foldAccents = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ā': "a", 'ă': "a", 'ą': "a",
	'æ': "ae",
	'ç': "c", 'ć': "c", 'ĉ': "c", 'ċ': "c", 'č': "c",
	'ď': "d", 'đ': "d", 'ð': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ĕ': "e", 'ė': "e", 'ę': "e", 'ě': "e",
	'ĝ': "g", 'ğ': "g", 'ġ': "g", 'ģ': "g",
	'ĥ': "h", 'ħ': "h",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ĩ': "i", 'ī': "i", 'ĭ': "i", 'į': "i", 'ı': "i",
	'ĳ': "ij", 'ĵ': "j", 'ķ': "k",
	'ĺ': "l", 'ļ': "l", 'ľ': "l", 'ŀ': "l", 'ł': "l",
	'ñ': "n", 'ń': "n", 'ņ': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ō': "o", 'ŏ': "o", 'ő': "o",
	'œ': "oe",
	'ŕ': "r", 'ŗ': "r", 'ř': "r",
	'ś': "s", 'ŝ': "s", 'ş': "s", 'š': "s", 'ß': "ss",
	'ţ': "t", 'ť': "t", 'ŧ': "t", 'þ': "th",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ũ': "u", 'ū': "u", 'ŭ': "u", 'ů': "u", 'ű': "u", 'ų': "u",
	'ŵ': "w",
	'ý': "y", 'ÿ': "y", 'ŷ': "y",
	'ź': "z", 'ż': "z", 'ž': "z",
}

// Slugify turns a group name into the readable part of its URL: lowercase
// ASCII letters and digits, accents folded ("Café" → "cafe"), every run of
// anything else one "-", no "-" at either end, at most MaxSlugLength
// characters. A name with nothing usable in it gives "group".
func Slugify(name string) string {
	var b strings.Builder
	dash := false // a "-" is owed before the next letter or digit
	for _, r := range strings.ToLower(name) {
		s := ""
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			s = string(r)
		case r <= unicode.MaxASCII:
			// ASCII punctuation and spaces separate words.
		case unicode.Is(unicode.Mn, r):
			// A combining accent ("e\u0301") belongs to the letter before it.
			continue
		default:
			s = foldAccents[r]
		}
		if s == "" {
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteString(s)
	}
	slug := b.String()
	if len(slug) > MaxSlugLength {
		slug = strings.TrimRight(slug[:MaxSlugLength], "-")
	}
	if slug == "" {
		return fallbackSlug
	}
	return slug
}

// slugEncoding is lowercase base32 without padding: letters and 2-7, so a
// random slug is as URL-safe as a name slug.
var slugEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// RandomSlugLength is the length of a RandomSlug.
const RandomSlugLength = 12

// RandomSlug returns 12 random lowercase base32 characters (60 bits), the
// slug of a secret group: its URL must not reveal its name.
func RandomSlug() string {
	var buf [8]byte // 64 bits encode to 13 characters; 12 are kept
	if _, err := rand.Read(buf[:]); err != nil {
		// crypto/rand.Read never fails on supported platforms (Go ≥ 1.24).
		panic("guildhall: crypto/rand failed: " + err.Error())
	}
	return slugEncoding.EncodeToString(buf[:])[:RandomSlugLength]
}
