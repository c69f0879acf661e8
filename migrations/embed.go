// Package migrations holds Guildhall's numbered SQL migrations, embedded so
// the binary, the tests and CI apply exactly the same files.
package migrations

import "embed"

// FS holds every migration file, applied in order by goose.
//
//go:embed *.sql
var FS embed.FS
