-- Apps that sign people in with Usher (issue 21): each with its client id,
-- its exact redirect URIs, its kind, and for a server app the SHA-256 of
-- its client secret (never the secret). app_spaces names the spaces whose
-- roles an app's tokens carry (visible) and those someone must hold a role
-- in to sign in to it (required).

-- +goose Up
CREATE TABLE apps (
    id            INTEGER PRIMARY KEY,
    client_id     TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('server', 'public')),
    redirect_uris TEXT NOT NULL,
    first_party   INTEGER NOT NULL DEFAULT 0,
    secret_hash   BLOB,
    secret_prefix TEXT NOT NULL DEFAULT '',
    secret_at     INTEGER,
    created_at    INTEGER NOT NULL
);

CREATE TABLE app_spaces (
    app_id   INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    space_id INTEGER NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    required INTEGER NOT NULL CHECK (required IN (0, 1)),
    PRIMARY KEY (app_id, required, space_id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE app_spaces;
DROP TABLE apps;
