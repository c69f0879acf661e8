package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNoPostgres is returned when no PostgreSQL server binaries can be found.
var ErrNoPostgres = errors.New("no PostgreSQL server binaries found: install PostgreSQL (e.g. apt-get install postgresql) or set DATABASE_URL")

// serverBinaries are the programs a bin directory must hold to be usable.
var serverBinaries = []string{"initdb", "pg_ctl", "postgres"}

// FindBinDir locates a directory with initdb, pg_ctl and postgres: $GUILDHALL_PG_BIN if set, else the directory of pg_ctl on PATH, else the highest-numbered /usr/lib/postgresql/*/bin. Returns ErrNoPostgres if none.
func FindBinDir() (string, error) {
	if dir := os.Getenv("GUILDHALL_PG_BIN"); dir != "" {
		if hasServerBinaries(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("GUILDHALL_PG_BIN=%s does not hold %s: %w",
			dir, strings.Join(serverBinaries, ", "), ErrNoPostgres)
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if dir := filepath.Dir(p); hasServerBinaries(dir) {
			return dir, nil
		}
		// pg_ctl on PATH may be a symlink into the real bin directory.
		if real, err := filepath.EvalSymlinks(p); err == nil {
			if dir := filepath.Dir(real); hasServerBinaries(dir) {
				return dir, nil
			}
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(dir string) float64 {
		v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		if err != nil {
			return -1
		}
		return v
	}
	slices.SortFunc(dirs, func(a, b string) int {
		va, vb := version(a), version(b)
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return strings.Compare(a, b)
	})
	for _, dir := range dirs {
		if hasServerBinaries(dir) {
			return dir, nil
		}
	}
	return "", ErrNoPostgres
}

func hasServerBinaries(dir string) bool {
	for _, name := range serverBinaries {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}

// Tool returns the path of one of PostgreSQL's client programs (pg_dump,
// pg_restore, psql): the one beside initdb in FindBinDir's directory, so the
// client matches the server that made the private cluster, else the one on
// PATH.
func Tool(name string) (string, error) {
	if dir, err := FindBinDir(); err == nil {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found beside initdb or on PATH: install PostgreSQL's client programs (e.g. apt-get install postgresql-client): %w", name, err)
	}
	return p, nil
}
