package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// maxSlugAttempts bounds the retries when concurrent writers keep taking the
// slug just picked; each retry sees what they committed.
const maxSlugAttempts = 10

// withFreeSlug runs write with a slug from pick, inside a savepoint, until
// write does not collide on groups_slug_key: two creates of the same name at
// once both pick "name", the second waits for the first, fails, and picks
// again, seeing the first one's slug this time.
func withFreeSlug(ctx context.Context, tx *sqlx.Tx, pick func() (string, error), write func(slug string) error) error {
	for range maxSlugAttempts {
		slug, err := pick()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT group_slug`); err != nil {
			return err
		}
		err = write(slug)
		if uniqueViolation(err, "groups_slug_key") {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT group_slug`); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT group_slug`); err != nil {
			return err
		}
		return nil
	}
	return errors.New("no free slug after repeated collisions")
}

// pickSlug returns the slug a group named name with privacy should get now:
// a random one for a secret group, otherwise Slugify(name) or, when a live
// group (other than exceptID) has that or it names a page, the first free
// "-2", "-3"…
func pickSlug(ctx context.Context, tx *sqlx.Tx, name string, privacy guildhall.Privacy, exceptID string) (string, error) {
	if privacy == guildhall.Secret {
		return guildhall.RandomSlug(), nil
	}
	base := guildhall.Slugify(name)
	var taken []string
	err := tx.SelectContext(ctx, &taken, `
		SELECT slug FROM groups
		WHERE deleted_at IS NULL AND id IS DISTINCT FROM $3::uuid
			AND (slug = $1 OR slug LIKE $2 ESCAPE '\')`,
		base, escapeLike(base)+"-%", nullIfEmpty(exceptID))
	if err != nil {
		return "", fmt.Errorf("find free slug: %w", err)
	}
	used := make(map[string]bool, len(taken)+1)
	used["new"] = true // /groups/new is the page that creates a group
	for _, t := range taken {
		used[t] = true
	}
	if !used[base] {
		return base, nil
	}
	for n := 2; ; n++ {
		if s := base + "-" + strconv.Itoa(n); !used[s] {
			return s, nil
		}
	}
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// escapeLike makes s match itself literally in a LIKE pattern (ESCAPE '\').
func escapeLike(s string) string { return likeEscaper.Replace(s) }

// recordOldSlug keeps the slug a group leaves so old links still lead to it,
// and forgets the one it takes back, if it had it before.
func recordOldSlug(ctx context.Context, tx *sqlx.Tx, groupID, oldSlug, newSlug string) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO group_old_slugs (slug, group_id) VALUES ($1, $2)
		ON CONFLICT (slug, group_id) DO UPDATE SET created_at = now()`, oldSlug, groupID)
	if err != nil {
		return fmt.Errorf("record old slug: %w", err)
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM group_old_slugs WHERE slug = $1 AND group_id = $2`, newSlug, groupID)
	if err != nil {
		return fmt.Errorf("forget old slug: %w", err)
	}
	return nil
}
