package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/internal/pgcluster"
	"guildhall/internal/postgres"
)

// TestBackupRestoreRoundTrip backs up a database with something in every
// kind of row, restores it into a data directory that does not exist yet,
// and finds every table as it was; a second restore is refused without
// --replace, and --replace over a changed database brings the backup back.
func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	env := environ()
	src, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: dataDir(t), DBName: "guildhall", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Stop()
	srcURL := src.URL("guildhall")
	seed(t, ctx, srcURL)

	dir := t.TempDir()
	file := filepath.Join(dir, "site.backup")
	stdout, stderr, code := runGuildhall(t, env, "", "backup", "--database-url", srcURL, file)
	if code != 0 {
		t.Fatalf("backup: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the backup has mode %v, want 0600 (it holds password hashes)", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("backup left %d files beside the backup, want none", len(entries)-1)
	}

	// A data directory that does not exist gets a private cluster.
	dst := dataDir(t)
	stdout, stderr, code = runGuildhall(t, env, "", "restore", "--data-dir", dst, file)
	if code != 0 || !strings.Contains(stdout, "restored") {
		t.Fatalf("restore into a new data directory: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	sameTables(t, ctx, srcURL, dst)

	// Again, without --replace: refused, naming the flag, nothing changed.
	_, stderr, code = runGuildhall(t, env, "", "restore", "--data-dir", dst, file)
	if code == 0 || !strings.Contains(stderr, "--replace") || !strings.Contains(stderr, "accounts") {
		t.Fatalf("restore over a database with data: exit %d, stderr %s; want a refusal naming --replace", code, stderr)
	}

	// The source changes; --replace restores the backup over it.
	db, err := sql.Open("postgres", srcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO accounts (email, display_name, password_hash) VALUES ('late@example.com', 'Late', 'x')`); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = runGuildhall(t, env, "", "restore", "--replace", "--database-url", srcURL, file)
	if code != 0 {
		t.Fatalf("restore --replace: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	sameTables(t, ctx, srcURL, dst)

	// Something that is not a backup is refused before anything is made.
	junk := filepath.Join(dir, "junk")
	if err := os.WriteFile(junk, []byte("not a backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	never := dataDir(t)
	_, stderr, code = runGuildhall(t, env, "", "restore", "--data-dir", never, junk)
	if code == 0 || !strings.Contains(stderr, "not a backup") {
		t.Errorf("restore of a non-backup: exit %d, stderr %s", code, stderr)
	}
	if _, err := os.Stat(never); err == nil {
		t.Errorf("restore of a non-backup made the data directory %s", never)
	}
}

// seed fills the database through the services: accounts, groups of each
// privacy, members, a pending join request with an answer, a pending create
// request, an API token, a session, and the audit entries all that writes.
func seed(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := postgres.Migrate(ctx, db.DB.DB); err != nil {
		t.Fatal(err)
	}
	s := postgres.NewServices(db, guildhall.TestPasswordHasher())
	account := func(email string, admin bool) guildhall.Actor {
		a, err := s.Accounts.CreateAccount(ctx, guildhall.NewAccount{Email: email, DisplayName: strings.Split(email, "@")[0],
			Password: "a long password", SiteAdmin: admin, PublicProfile: true})
		if err != nil {
			t.Fatalf("account %s: %v", email, err)
		}
		return guildhall.ActorFor(a)
	}
	admin := account("admin@example.com", true)
	ada := account("ada@example.com", false)
	bob := account("bob@example.com", false)
	var groups []*guildhall.Group
	for i, p := range []guildhall.Privacy{guildhall.Public, guildhall.Private, guildhall.Secret} {
		c, err := s.Groups.CreateGroup(ctx, admin, guildhall.GroupInput{Name: fmt.Sprintf("Group %d ünïcode", i), Description: "line one\nline two, 'quoted'", Privacy: p}, "")
		if err != nil || c.Group == nil {
			t.Fatalf("group %s: %v", p, err)
		}
		groups = append(groups, c.Group)
	}
	if _, err := s.Membership.Join(ctx, ada, groups[0].ID, nil); err != nil {
		t.Fatalf("join public: %v", err)
	}
	if _, err := s.Membership.Join(ctx, bob, groups[1].ID, nil); err != nil {
		t.Fatalf("request to join private: %v", err)
	}
	if _, err := s.Settings.SetCreationPolicy(ctx, admin, guildhall.MembersWithApproval); err != nil {
		t.Fatal(err)
	}
	if c, err := s.Groups.CreateGroup(ctx, ada, guildhall.GroupInput{Name: "Waiting Group"}, ""); err != nil || c.Request == nil {
		t.Fatalf("create request: %+v %v", c, err)
	}
	if _, _, err := s.Tokens.CreateToken(ctx, admin, "backup test", true); err != nil {
		t.Fatal(err)
	}
	if err := postgres.NewSessionRows(db).Save(ctx, []byte("0123456789abcdef0123456789abcdef"), ada.ID, []byte("session data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
}

// sameTables compares every table of the database at srcURL with the one
// in the private cluster in dstDir, row for row.
func sameTables(t *testing.T, ctx context.Context, srcURL, dstDir string) {
	t.Helper()
	dst, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: dstDir, DBName: "guildhall"})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Stop()
	want, got := tableDigests(t, srcURL), tableDigests(t, dst.URL("guildhall"))
	nonEmpty := 0
	for table, w := range want {
		if g, ok := got[table]; !ok {
			t.Errorf("table %s is missing after the restore", table)
		} else if g != w {
			t.Errorf("table %s differs after the restore: %s, want %s", table, g, w)
		}
		if !strings.HasPrefix(w, "0 rows") {
			nonEmpty++
		}
	}
	for table := range got {
		if _, ok := want[table]; !ok {
			t.Errorf("table %s appeared in the restore", table)
		}
	}
	if nonEmpty < 8 {
		t.Errorf("only %d of %d tables held rows: the comparison proves little", nonEmpty, len(want))
	}
	t.Logf("%d tables compared, %d with rows", len(want), nonEmpty)
}

// tableDigests returns each public table's row count and a digest of its
// rows in a fixed order.
func tableDigests(t *testing.T, url string) map[string]string {
	t.Helper()
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	digests := map[string]string{}
	for _, table := range tables {
		var n int
		var digest string
		err := db.QueryRow(`SELECT count(*), coalesce(md5(string_agg(r::text, E'\n' ORDER BY r::text)), '') FROM public.`+table+` r`).Scan(&n, &digest)
		if err != nil {
			t.Fatalf("digest %s: %v", table, err)
		}
		digests[table] = fmt.Sprintf("%d rows %s", n, digest)
	}
	return digests
}
