// Package static holds the stylesheet, the vendored htmx and images, embedded
// in the binary and served under /static/.
package static

import "embed"

// FS holds the static files.
//
//go:embed css js
var FS embed.FS
