-- +goose Up
-- Token buckets shared by every Guildhall instance on this database (sign-in
-- attempts, API calls). UNLOGGED: a bucket is worth no WAL write and no
-- fsync on the API's hot path, and losing them all in a crash only refills
-- them.
CREATE UNLOGGED TABLE rate_limits (
    key text PRIMARY KEY,
    tokens double precision NOT NULL,
    burst double precision NOT NULL CHECK (burst >= 1),
    rate double precision NOT NULL CHECK (rate > 0),
    updated_at timestamptz NOT NULL,
    -- taken says whether the last take got a token (RETURNING sees only
    -- the new row).
    taken boolean NOT NULL
);

-- +goose Down
DROP TABLE rate_limits;
