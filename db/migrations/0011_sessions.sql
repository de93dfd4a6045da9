-- Sessions on the server (issue 16). Each sign-in is a row: the cookie
-- carries a random token, the row only its SHA-256, so a copy of the
-- database alone yields no working cookie. A row ends with its user (ON
-- DELETE CASCADE) and whenever the user's session_version moves on (the
-- trigger): deactivation, a password change and the end of every session
-- all bump it, in the same statement as their own change, so whatever
-- bumps it later (a password reset) ends the sessions too.
--
-- users.last_sign_in_at is set with each new row. The Last sign-in sort
-- orders like Joined: those who never signed in after everyone who has,
-- with a rank twin per tab (db/users.go writes the same expressions).

-- +goose Up
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ip           TEXT NOT NULL DEFAULT '' CHECK (length(ip) <= 64),
    user_agent   TEXT NOT NULL DEFAULT '' CHECK (length(user_agent) <= 512),
    browser      TEXT NOT NULL DEFAULT '' CHECK (length(browser) <= 64),
    os           TEXT NOT NULL DEFAULT '' CHECK (length(os) <= 64),
    device       TEXT NOT NULL DEFAULT '' CHECK (length(device) <= 64)
);
CREATE INDEX sessions_user ON sessions (user_id, last_seen_at);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
CREATE INDEX sessions_created ON sessions (created_at);

-- +goose StatementBegin
CREATE TRIGGER users_end_sessions AFTER UPDATE OF session_version ON users
WHEN NEW.session_version IS NOT OLD.session_version
BEGIN
    DELETE FROM sessions WHERE user_id = NEW.id;
END;
-- +goose StatementEnd

ALTER TABLE users ADD COLUMN last_sign_in_at INTEGER;
CREATE INDEX users_last_sign_in ON users ((last_sign_in_at IS NULL), last_sign_in_at, id);
CREATE INDEX users_rank_last_sign_in ON users ((CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END), (last_sign_in_at IS NULL), last_sign_in_at, id, invite_expires_at);

-- +goose Down
DROP INDEX users_rank_last_sign_in;
DROP INDEX users_last_sign_in;
ALTER TABLE users DROP COLUMN last_sign_in_at;
DROP TRIGGER users_end_sessions;
DROP TABLE sessions;
