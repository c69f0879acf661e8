package templates

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
)

// queueRows renders the rows of q's table, one <tr> each.
//
// The rows are the queue pages' hot loop (50 a page, a dozen attributes
// each), so they are written here by hand instead of by templ: templ's
// generated code resolves every attribute through an interface and
// html.EscapeString's Replacer, builds each id, value and class name in a
// new string, and renders each row as a component with a context of its
// own, which together were a third of the server's CPU on an inbox page.
// This writes the same bytes as the templ row it replaced
// (TestQueueTableRendering pins them), escaping as templ does (every byte
// html.EscapeString escapes), each row appended to one buffer and written
// at once.
func queueRows(q Queue) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		var key, id []byte
		b := make([]byte, 0, 2048)
		when := q.whenHeader()
		for i := range q.Rows {
			key = appendEscaped(key[:0], q.Rows[i].Key)
			id = appendRowID(id[:0], q.Rows[i].Key)
			b = appendQueueRow(b[:0], &q, when, &q.Rows[i], key, id)
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// appendQueueRow appends row's <tr> to b. when heads the time column; key
// is the row's key escaped, and id the same as it ends the row's element
// ids (appendRowID): each is written several times.
func appendQueueRow(b []byte, q *Queue, when string, row *QueueRow, key, id []byte) []byte {
	b = append(b, `<tr id="request-`...)
	b = append(b, id...)
	b = append(b, `"><td class="requester" data-label="`...)
	b = appendEscaped(b, q.NameHeader)
	b = append(b, `">`...)
	switch {
	case row.Pending:
		b = append(b, `<input type="checkbox" name="request" value="`...)
		b = append(b, key...)
		b = append(b, `" id="select-`...)
		b = append(b, id...)
		b = append(b, `"> <input type="hidden" name="onpage" value="`...)
		b = append(b, key...)
		b = append(b, `"> <label for="select-`...)
		b = append(b, id...)
		b = append(b, `">`...)
		b = appendEscaped(b, row.Name)
		b = append(b, `</label> `...)
	case row.NameURL != "":
		b = append(b, `<a href="`...)
		b = appendEscaped(b, row.NameURL)
		b = append(b, `">`...)
		b = appendEscaped(b, row.Name)
		b = append(b, `</a> `...)
	default:
		b = appendEscaped(b, row.Name)
		b = append(b, ' ')
	}
	for _, m := range row.Marks {
		b = append(b, `<span class="pill mark">`...)
		b = appendEscaped(b, m)
		b = append(b, `</span>`...)
	}
	b = append(b, `</td>`...)
	if q.ShowGroup {
		b = append(b, `<td data-label="Group"><a href="/groups/`...)
		b = appendEscaped(b, row.GroupSlug)
		b = append(b, `">`...)
		b = appendEscaped(b, row.GroupName)
		b = append(b, `</a></td>`...)
	}
	if q.ShowRequester {
		b = append(b, `<td data-label="Privacy">`...)
		b = appendEscaped(b, row.Privacy)
		b = append(b, `</td><td data-label="Requester">`...)
		b = appendEscaped(b, row.Requester)
		b = append(b, `</td>`...)
	}
	b = append(b, `<td class="nowrap" data-label="`...)
	b = appendEscaped(b, when)
	b = append(b, `"><time datetime="`...)
	b = appendISOTime(b, row.Since)
	b = append(b, `" title="`...)
	b = appendWhen(b, row.Since)
	b = append(b, `">`...)
	b = appendEscaped(b, row.Age)
	b = append(b, `</time></td>`...)
	if q.ShowAnswers {
		b = append(b, `<td data-label="Answers">`...)
		if len(row.Answers) == 0 {
			b = append(b, `<span class="muted">—</span>`...)
		} else {
			b = append(b, `<dl class="answers">`...)
			for _, a := range row.Answers {
				b = append(b, `<dt>`...)
				b = appendEscaped(b, a.Question)
				b = append(b, `</dt><dd>`...)
				if a.Answer == "" {
					b = append(b, `<span class="muted">(no answer)</span>`...)
				} else {
					b = appendEscaped(b, a.Answer)
				}
				b = append(b, `</dd>`...)
			}
			b = append(b, `</dl>`...)
		}
		b = append(b, `</td>`...)
	}
	b = append(b, `<td data-label="Status"><span class="status-`...)
	b = appendLowerEscaped(b, row.Status)
	b = append(b, `">`...)
	b = appendEscaped(b, row.Status)
	b = append(b, `</span> `...)
	if row.Reason != "" {
		b = append(b, `<div class="hint">Reason: `...)
		b = appendEscaped(b, row.Reason)
		b = append(b, `</div>`...)
	}
	b = append(b, `</td><td class="actions">`...)
	if row.Pending {
		b = append(b, `<button type="submit" name="one" value="approve:`...)
		b = append(b, key...)
		b = append(b, `" class="primary">Approve</button> <button type="submit" name="one" value="reject:`...)
		b = append(b, key...)
		b = append(b, `">Reject</button>`...)
	}
	return append(b, `</td></tr>`...)
}

// appendISOTime appends isoTime(t). Formatted times hold nothing to
// escape.
func appendISOTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 1000 || y > 9999 {
		return t.AppendFormat(b, time.RFC3339)
	}
	h, mi, sec := t.Clock()
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, int(mo))
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, sec)
	return append(b, 'Z')
}

// appendWhen appends When(t), without the layout's interpretation.
func appendWhen(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 1000 || y > 9999 {
		return t.AppendFormat(b, whenLayout)
	}
	h, mi, _ := t.Clock()
	b = strconv.AppendInt(b, int64(d), 10)
	b = append(b, ' ')
	b = append(b, mo.String()[:3]...)
	b = append(b, ' ')
	b = append4(b, y)
	b = append(b, ' ')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	return append(b, " UTC"...)
}

// append2 appends n, 0 to 99, in two digits.
func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }

// append4 appends n, 1000 to 9999.
func append4(b []byte, n int) []byte { return append2(append2(b, n/100), n%100) }

// htmlEscapes are the bytes html.EscapeString (and so templ) escapes, with
// what it writes for each.
var htmlEscapes = [256]string{'&': "&amp;", '\'': "&#39;", '<': "&lt;", '>': "&gt;", '"': "&#34;"}

// htmlSpecial marks the bytes of htmlEscapes.
var htmlSpecial = [256]bool{'&': true, '\'': true, '<': true, '>': true, '"': true}

// appendEscaped appends s escaped as html.EscapeString escapes it.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if htmlSpecial[s[i]] {
			return appendEscapedFrom(b, s, i)
		}
	}
	return append(b, s...)
}

// appendEscapedFrom is appendEscaped of s whose first byte to escape is s[i].
func appendEscapedFrom(b []byte, s string, i int) []byte {
	start := 0
	for ; i < len(s); i++ {
		if htmlSpecial[s[i]] {
			b = append(b, s[start:i]...)
			b = append(b, htmlEscapes[s[i]]...)
			start = i + 1
		}
	}
	return append(b, s[start:]...)
}

// appendRowID appends a row key as it ends the row's element ids: its
// colons (the inbox's "GROUPID:ACCOUNTID") become dashes, escaped.
func appendRowID(b []byte, key string) []byte {
	for {
		i := strings.IndexByte(key, ':')
		if i < 0 {
			return appendEscaped(b, key)
		}
		b = appendEscaped(b, key[:i])
		b = append(b, '-')
		key = key[i+1:]
	}
}

// appendLowerEscaped appends lower(s), escaped: a status label, ASCII,
// is lowered byte by byte rather than into a new string.
func appendLowerEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return appendEscaped(b, lower(s))
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if e := htmlEscapes[c]; e != "" {
			b = append(b, e...)
		} else {
			b = append(b, c)
		}
	}
	return b
}
