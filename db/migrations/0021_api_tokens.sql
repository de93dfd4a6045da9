-- API tokens (issue 20): what other programs show to act through
-- /api/v1. A token acts for the administrator who made it, with their
-- rights as they are at each request, capped by its scopes; it goes with
-- them (ON DELETE CASCADE). Only the SHA-256 of the secret is kept, so a
-- copy of the database alone yields no working token.
--
-- api_idempotency keeps the first answer to a POST sent with an
-- Idempotency-Key, so that a retry gets it again and nothing is done
-- twice; a row without a status is a request still running (or one cut
-- off by a crash, which a retry is told about rather than repeated).

-- +goose Up
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);

CREATE TABLE api_idempotency (
    token_id   INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    request    BLOB NOT NULL,
    status     INTEGER,
    body       BLOB,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (token_id, key)
) WITHOUT ROWID;
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);

-- +goose Down
DROP TABLE api_idempotency;
DROP TABLE api_tokens;
