-- Password resets (issue 16). A reset link is HMAC(link key, nonce), as an
-- invitation link is: the database holds the nonce and a SHA-256 of the
-- link, never the link. A link works until ended_at is set: when it is
-- used, when a newer one is sent, or when the password changes any other
-- way. requested_by is the administrator who sent it (NULL: the person
-- asked on the sign-in page).
--
-- password_reset_requests are the Forgot password forms, kept until the
-- email sender's round turns each into a reset link, the invitation
-- again, or nothing: the form itself does the same work for every
-- address, so its answer tells nothing about which ones exist.
--
-- outbox.reset_id ties a reset email to its link, from which the sender
-- derives the link at send time, as it does for invitations.

-- +goose Up
CREATE TABLE password_resets (
    id                INTEGER PRIMARY KEY,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_nonce       BLOB    NOT NULL,
    token_hash        BLOB    NOT NULL UNIQUE,
    requested_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    requested_by_name TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    ended_at          INTEGER,
    ended_why         TEXT    CHECK (ended_why IN ('used', 'superseded', 'password_changed'))
);
CREATE INDEX password_resets_open ON password_resets (user_id) WHERE ended_at IS NULL;
CREATE INDEX password_resets_user ON password_resets (user_id, id);

CREATE TABLE password_reset_requests (
    id           INTEGER PRIMARY KEY,
    email        TEXT    NOT NULL COLLATE NOCASE CHECK (length(email) <= 254),
    language     TEXT    NOT NULL DEFAULT '' CHECK (length(language) <= 35),
    requested_at INTEGER NOT NULL
);

ALTER TABLE outbox ADD COLUMN reset_id INTEGER REFERENCES password_resets (id) ON DELETE CASCADE;

-- +goose Down
ALTER TABLE outbox DROP COLUMN reset_id;
DROP TABLE password_reset_requests;
DROP TABLE password_resets;
