package api

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// jsonAppender is an answer that writes its own JSON, byte for byte what
// encoding/json writes for it (without the final newline), or says it
// cannot (ok false), when writeJSON encodes it as usual.
type jsonAppender interface {
	appendJSON(b []byte) (out []byte, ok bool)
}

// appendJSON writes a page of groups as encoding/json does: a page is the
// API's hottest answer, and encoding/json reached each field by reflection
// and checked and compacted every time's MarshalJSON output, an eighth of
// the server's CPU on a name-prefix query. TestGroupsResponseJSON holds
// the two to the same bytes.
func (r *groupsResponse) appendJSON(b []byte) ([]byte, bool) {
	b = append(b, `{"groups":`...)
	if r.Groups == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Groups {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = r.Groups[i].appendJSON(b); !ok {
				return b, false
			}
		}
		b = append(b, ']')
	}
	m := &r.Metadata
	b = append(b, `,"metadata":{"count":`...)
	b = strconv.AppendInt(b, int64(m.Count), 10)
	if m.Offset != nil {
		b = append(b, `,"offset":`...)
		b = strconv.AppendInt(b, int64(*m.Offset), 10)
	}
	if m.Total != nil {
		b = append(b, `,"total":`...)
		b = strconv.AppendInt(b, int64(*m.Total), 10)
	}
	if c := m.Cursors; c != nil {
		b = append(b, `,"cursors":{"next":`...)
		b = appendJSONStringOrNull(b, c.Next)
		b = append(b, `,"prev":`...)
		b = appendJSONStringOrNull(b, c.Prev)
		b = append(b, '}')
	}
	return append(b, "}}"...), true
}

// appendJSON writes one group of a page, in the order of groupJSON's fields.
func (g *groupJSON) appendJSON(b []byte) ([]byte, bool) {
	b = append(b, `{"id":`...)
	b = appendJSONString(b, g.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, g.Name)
	b = append(b, `,"slug":`...)
	b = appendJSONString(b, g.Slug)
	b = append(b, `,"description":`...)
	b = appendJSONString(b, g.Description)
	b = append(b, `,"privacyStatus":`...)
	b = appendJSONString(b, string(g.PrivacyStatus))
	b = append(b, `,"settings":{"membersCanApprove":`...)
	b = strconv.AppendBool(b, g.Settings.MembersCanApprove)
	b = append(b, `,"membersCanInvite":`...)
	b = strconv.AppendBool(b, g.Settings.MembersCanInvite)
	b = append(b, `,"showMemberList":`...)
	b = strconv.AppendBool(b, g.Settings.ShowMemberList)
	b = append(b, `},"membersCount":`...)
	b = strconv.AppendInt(b, int64(g.MembersCount), 10)
	b = append(b, `,"ownerId":`...)
	b = appendJSONString(b, g.OwnerID)
	ok := true
	b = append(b, `,"createdDate":`...)
	b, ok = appendJSONTime(b, g.CreatedDate, ok)
	b = append(b, `,"updatedDate":`...)
	b, ok = appendJSONTime(b, g.UpdatedDate, ok)
	b = append(b, `,"lastActivityDate":`...)
	b, ok = appendJSONTime(b, g.LastActivityDate, ok)
	return append(b, '}'), ok
}

// appendJSONTime writes t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds), and keeps ok only when that succeeds: MarshalJSON refuses a
// year outside 0 to 9999 and an offset of 24 hours or more.
func appendJSONTime(b []byte, t time.Time, ok bool) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, false
	}
	if _, off := t.Zone(); off <= -24*60*60 || off >= 24*60*60 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), ok
}

// appendJSONStringOrNull writes *s, or null for nil.
func appendJSONStringOrNull(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

// appendJSONString writes s quoted as encoding/json does by default (HTML
// escaping on): ", \ and control characters escaped (\b, \f, \n, \r, \t by
// name, the others as \u00XX), <, > and & as \u003c, \u003e and \u0026,
// U+2028 and U+2029 as \u2028 and \u2029, and each byte of invalid UTF-8 as
// \ufffd.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
