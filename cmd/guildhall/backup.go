package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lib/pq"

	"guildhall/internal/pgcluster"
	"guildhall/internal/postgres"
)

// parseFile parses flags followed by exactly one file name.
func parseFile(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", fmt.Errorf("%s: %w", fs.Name(), err)
	}
	switch fs.NArg() {
	case 0:
		return "", fmt.Errorf("%s: name the backup file after the flags", fs.Name())
	case 1:
		return fs.Arg(0), nil
	default:
		return "", fmt.Errorf("%s: unexpected argument %q (flags go before the file name)", fs.Name(), fs.Arg(1))
	}
}

// backup writes the whole database to file with pg_dump's custom format. It
// works while Guildhall serves: pg_dump reads one consistent snapshot
// without blocking anyone. The file appears only once it is complete (it is
// written beside it and renamed), with mode 0600: it holds password hashes
// and sessions.
func backup(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger) error {
	var c config
	fs := newFlagSet("backup")
	dbFlags(fs, &c)
	file, err := parseFile(fs, args)
	if err != nil {
		return err
	}
	pgDump, err := pgcluster.Tool("pg_dump")
	if err != nil {
		return err
	}
	url, stop, err := databaseURL(ctx, c, logger)
	if err != nil {
		return err
	}
	defer stop()

	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".partial-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	tmpName := tmp.Name()
	defer func() { _ = os.Remove(tmpName) }() // a no-op once renamed; a partial file left is named as one
	tmp.Close()
	var errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, pgDump, "--format=custom", "--no-password", "--file="+tmpName, "--dbname="+url)
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("backup: pg_dump: %w: %s", err, strings.TrimSpace(errOut.String()))
	}
	if err := syncFile(tmpName); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmpName, file); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := syncFile(filepath.Dir(file)); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fi, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backed up the database to %s (%d bytes)\n", file, fi.Size())
	return nil
}

// syncFile flushes a file or directory to disk.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// restore loads a backup made by backup into the database. It refuses a
// database that holds data unless --replace is given; either way what was
// there is dropped and the backup loaded in one transaction, so a failed
// restore leaves the database as it was. The restored database is then
// migrated, so a backup from an older version comes up to date. A --data-dir
// that does not exist yet gets a new private cluster first.
func restore(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger) error {
	var c config
	var replace bool
	fs := newFlagSet("restore")
	dbFlags(fs, &c)
	fs.BoolVar(&replace, "replace", false, "drop everything in a database that holds data before restoring")
	file, err := parseFile(fs, args)
	if err != nil {
		return err
	}
	pgRestore, err := pgcluster.Tool("pg_restore")
	if err != nil {
		return err
	}
	psql, err := pgcluster.Tool("psql")
	if err != nil {
		return err
	}
	// Check the file before a private cluster is made for it.
	if out, err := exec.CommandContext(ctx, pgRestore, "--list", file).CombinedOutput(); err != nil {
		return fmt.Errorf("restore: %s is not a backup made by guildhall backup (pg_dump custom format): %s", file, strings.TrimSpace(string(out)))
	}

	url, stop := c.DatabaseURL, func() {}
	if url == "" {
		cluster, err := startCluster(ctx, c, logger)
		if err != nil {
			return err
		}
		if cluster.Attached() {
			return fmt.Errorf("restore: Guildhall is running on %s; stop it before restoring", c.DataDir)
		}
		url = cluster.URL("guildhall")
		stop = func() {
			if err := cluster.Stop(); err != nil {
				logger.Error("stop private PostgreSQL", "err", err)
			}
		}
	}
	defer stop()

	db, err := sql.Open("postgres", url)
	if err != nil {
		return err
	}
	defer db.Close()
	held, err := tablesWithRows(ctx, db)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if len(held) > 0 && !replace {
		return fmt.Errorf("restore: the database already holds data (in %s); add --replace to drop all of it and restore the backup in its place",
			strings.Join(held, ", "))
	}
	wipe, err := wipeSQL(ctx, db)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}

	// pg_restore writes the backup as SQL; psql runs it after the wipe, all
	// in one transaction that stops at the first error.
	script := exec.CommandContext(ctx, pgRestore, "--no-owner", "--no-acl", "--file=-", file)
	var restoreErr, psqlOut bytes.Buffer
	script.Stderr = &restoreErr
	pipe, err := script.StdoutPipe()
	if err != nil {
		return err
	}
	load := exec.CommandContext(ctx, psql, "--no-psqlrc", "--quiet", "--no-password",
		"--set=ON_ERROR_STOP=1", "--single-transaction", "--dbname="+url)
	load.Stdin = io.MultiReader(strings.NewReader(wipe), pipe)
	load.Stdout, load.Stderr = &psqlOut, &psqlOut
	if err := script.Start(); err != nil {
		return fmt.Errorf("restore: pg_restore: %w", err)
	}
	loadErr := load.Run()
	scriptErr := script.Wait()
	if loadErr != nil || scriptErr != nil {
		return fmt.Errorf("restore: nothing was changed: %w: %s %s", errors.Join(loadErr, scriptErr),
			strings.TrimSpace(psqlOut.String()), strings.TrimSpace(restoreErr.String()))
	}

	pdb, err := postgres.Open(ctx, url)
	if err != nil {
		return err
	}
	defer pdb.Close()
	n, err := postgres.Migrate(ctx, pdb.DB.DB)
	if err != nil {
		return fmt.Errorf("restore: the backup was restored, but migrating it failed: %w", err)
	}
	fmt.Fprintf(stdout, "restored %s (then applied %d migrations)\n", file, n)
	return nil
}

// userSchemas selects the schemas that are not PostgreSQL's own.
const userSchemas = `SELECT nspname FROM pg_namespace
	WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema' ORDER BY nspname`

// tablesWithRows names the tables outside PostgreSQL's own schemas that
// hold a row, the migrations' bookkeeping aside (a freshly migrated database
// is empty).
func tablesWithRows(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables
		WHERE schemaname NOT LIKE 'pg\_%' AND schemaname <> 'information_schema'
		  AND tablename <> 'goose_db_version' ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var held []string
	for _, t := range tables {
		var has bool
		// t comes from quote_ident above, not from outside.
		if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT FROM `+t+`)`).Scan(&has); err != nil {
			return nil, err
		}
		if has {
			held = append(held, t)
		}
	}
	return held, nil
}

// wipeSQL drops every schema that is not PostgreSQL's own and makes an
// empty public schema, for the restore to fill.
func wipeSQL(ctx context.Context, db *sql.DB) (string, error) {
	rows, err := db.QueryContext(ctx, userSchemas)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "DROP SCHEMA %s CASCADE;\n", pq.QuoteIdentifier(name))
	}
	b.WriteString("CREATE SCHEMA public;\n")
	return b.String(), rows.Err()
}
