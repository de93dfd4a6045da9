-- Two-factor sign-in (issue 16). two_factor holds a person's TOTP secret,
-- sealed with a key derived from the session secret in the data folder
-- (AES-GCM), so a copy of the database alone yields no working code.
-- enabled_at is NULL while enrolment waits for its first code. last_step
-- is the TOTP time step last accepted: a code of that step or an earlier
-- one is refused, so a code seen over a shoulder cannot be used again.
--
-- recovery_codes are SHA-256 hashes of high-entropy random codes: a
-- code works once (its row is deleted in the statement that accepts it).
--
-- sessions.second_factor_pending marks a session started by the password
-- alone: it reaches nothing but the code step and sign-out.

-- +goose Up
CREATE TABLE two_factor (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    enabled_at INTEGER,
    last_step  INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB    NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
ALTER TABLE sessions ADD COLUMN second_factor_pending INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sessions DROP COLUMN second_factor_pending;
DROP TABLE recovery_codes;
DROP TABLE two_factor;
