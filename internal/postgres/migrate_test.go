package postgres

import (
	"context"
	"io/fs"
	"slices"
	"sync"
	"testing"

	"guildhall/internal/testdb"
	"guildhall/migrations"
)

// TestMigrateOnceWhenStartedTogether runs the migrate step of four
// instances at once on an empty database: all succeed, and between them
// every migration is applied exactly once.
func TestMigrateOnceWhenStartedTogether(t *testing.T) {
	ctx := context.Background()
	db := testdb.New(t)
	if _, err := db.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	const instances = 4
	applied := make([]int, instances)
	errs := make([]error, instances)
	var wg sync.WaitGroup
	for i := range instances {
		wg.Go(func() { applied[i], errs[i] = Migrate(ctx, db.DB) })
	}
	wg.Wait()
	migrated := 0
	for i := range instances {
		if errs[i] != nil {
			t.Errorf("instance %d: %v", i, errs[i])
		}
		if applied[i] > 0 {
			migrated++
		}
	}
	// Guildhall's files and then River's migrations: all by one instance.
	if migrated != 1 || slices.Max(applied) < len(files) {
		t.Errorf("the instances applied %v migrations; want all (%d files and River's) by one of them", applied, len(files))
	}
	var dups int
	if err := db.Get(&dups, `SELECT count(*) FROM (SELECT version_id FROM goose_db_version GROUP BY 1 HAVING count(*) > 1) d`); err != nil {
		t.Fatal(err)
	}
	if dups != 0 {
		t.Errorf("%d migrations were recorded twice", dups)
	}
	v, err := MigrationVersion(ctx, db.DB)
	if err != nil || v == 0 {
		t.Errorf("MigrationVersion = %d, %v", v, err)
	}
}
