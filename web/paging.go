package web

import (
	"net/http"
	"strconv"
	"strings"
)

// pageNumber reads the page query parameter: 1 when absent or nonsense.
func pageNumber(r *http.Request) int {
	n, _ := strconv.Atoi(r.URL.Query().Get("page"))
	return max(n, 1)
}

// pagerLinks returns the Previous and Next links of a paged list.
func pagerLinks(base string, page, shown, offset, total int) (prev, next string) {
	link := func(p int) string {
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		if p <= 1 {
			return base
		}
		return base + sep + "page=" + strconv.Itoa(p)
	}
	if page > 1 {
		prev = link(page - 1)
	}
	if offset+shown < total {
		next = link(page + 1)
	}
	return prev, next
}
