package testdb

import (
	"database/sql"
	"testing"

	"github.com/jmoiron/sqlx"
)

func TestMain(m *testing.M) { Main(m) }

const probeEmail = "isolation@example.com"

// checkFreshAndInsert checks that db is migrated and empty, then inserts the
// same account that the other test inserts: if the two tests shared a
// database, the unique email would collide or the count would be off.
func checkFreshAndInsert(t *testing.T, db *sqlx.DB) {
	t.Helper()
	var exists bool
	if err := db.Get(&exists, `SELECT to_regclass('public.accounts') IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if !exists {
		t.Fatal("accounts table missing: migrations not applied")
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM accounts`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("fresh database has %d accounts, want 0", n)
	}
	if _, err := db.Exec(`INSERT INTO accounts (email, display_name, password_hash) VALUES ($1, 'Probe', 'x')`, probeEmail); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&n, `SELECT count(*) FROM accounts`); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("after insert: %d accounts, want 1", n)
	}
}

func TestFirstDatabase(t *testing.T) {
	checkFreshAndInsert(t, New(t))
}

func TestSecondDatabase(t *testing.T) {
	checkFreshAndInsert(t, New(t))
}

func TestTwoDatabasesInOneTest(t *testing.T) {
	a, b := New(t), New(t)
	checkFreshAndInsert(t, a)
	var n int
	if err := b.Get(&n, `SELECT count(*) FROM accounts`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("second database sees %d accounts inserted in the first", n)
	}
}

func TestURL(t *testing.T) {
	u := URL(t)
	db, err := sql.Open("postgres", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkFreshAndInsert(t, sqlx.NewDb(db, "postgres"))
}

func TestConfigFromURL(t *testing.T) {
	c, err := configFromURL("postgresql://u:p%40ss@db.example:6543/app")
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "db.example" || c.Port != "6543" || c.User != "u" || c.Password != "p%40ss" ||
		c.Database != "app" || c.Options != "sslmode=disable" || c.DriverName != "postgres" {
		t.Fatalf("unexpected config %+v", c)
	}
	c, err = configFromURL("postgres://[::1]/?sslmode=require")
	if err != nil {
		t.Fatal(err)
	}
	if c.Host != "[::1]" || c.Port != "5432" || c.User != "postgres" || c.Database != "postgres" || c.Options != "sslmode=require" {
		t.Fatalf("unexpected config %+v", c)
	}
	if _, err := configFromURL("mysql://x"); err == nil {
		t.Fatal("accepted a mysql URL")
	}
}
