package testapp

import (
	"context"
	"sync"
	"testing"

	"guildhall/internal/postgres"
	"guildhall/internal/testdb"
	"guildhall/web/api"
)

// Instances starts n servers over one fresh database, as n guildhall serve
// processes behind a load balancer: each has its own connection pool and
// runs the migrate step itself, all of them at once, on a database left
// empty for them. applied says how many migrations each one applied.
func Instances(t testing.TB, n int, configureAPI func(*api.Config), opts ...Option) (apps []*App, applied []int) {
	t.Helper()
	url := testdb.URL(t)
	ctx := context.Background()
	dbs := make([]*postgres.DB, n)
	for i := range dbs {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	if _, err := dbs[0].ExecContext(ctx, `DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	applied = make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() { applied[i], errs[i] = postgres.Migrate(ctx, db.DB.DB) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: migrate: %v", i, err)
		}
	}
	for _, db := range dbs {
		apps = append(apps, serveOn(t, db, nil, configureAPI, opts))
	}
	return apps, applied
}
