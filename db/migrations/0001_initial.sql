-- The whole model of SPEC §2 from the start: later features add screens,
-- not rewrites. Times are Unix seconds (UTC).

-- +goose Up

-- Spaces: the account is the top space; units sit under it; waiting areas
-- and meeting rooms sit under a unit.
CREATE TABLE spaces (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('account', 'unit', 'waiting_area', 'meeting_room')),
    parent_id  INTEGER REFERENCES spaces (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at INTEGER NOT NULL,
    CHECK ((kind = 'account') = (parent_id IS NULL))
);
CREATE UNIQUE INDEX spaces_one_account ON spaces (kind) WHERE kind = 'account';
CREATE INDEX spaces_parent ON spaces (parent_id);

-- Users. Status is derived: deactivated_at set => Deactivated; activated_at
-- set => Active; otherwise the pending invitation decides Invited or
-- Invitation expired, and invite_expires_at mirrors its expiry so the list
-- can filter and count by status with an index and the clock.
CREATE TABLE users (
    id                INTEGER PRIMARY KEY,
    email             TEXT    NOT NULL COLLATE NOCASE UNIQUE CHECK (length(email) <= 254),
    name              TEXT    NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    password_hash     TEXT,
    created_at        INTEGER NOT NULL,
    activated_at      INTEGER,
    deactivated_at    INTEGER,
    invite_expires_at INTEGER,
    session_version   INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX users_name ON users (name COLLATE NOCASE, id);
CREATE INDEX users_created ON users (created_at, id);
CREATE INDEX users_pending ON users (invite_expires_at) WHERE activated_at IS NULL AND deactivated_at IS NULL;
CREATE INDEX users_active ON users (activated_at) WHERE activated_at IS NOT NULL AND deactivated_at IS NULL;
CREATE INDEX users_deactivated ON users (deactivated_at) WHERE deactivated_at IS NOT NULL;

-- Role grants: what a user holds, per space.
CREATE TABLE role_grants (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    space_id   INTEGER NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL CHECK (role IN ('admin', 'member')),
    granted_at INTEGER NOT NULL,
    granted_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (user_id, space_id)
) WITHOUT ROWID;
CREATE INDEX role_grants_space ON role_grants (space_id, role, user_id);

-- Invitations. The link is HMAC(link key, token_nonce): the database holds
-- the nonce and a SHA-256 of the link, never the link itself.
CREATE TABLE invitations (
    id                   INTEGER PRIMARY KEY,
    user_id              INTEGER REFERENCES users (id) ON DELETE SET NULL,
    email                TEXT    NOT NULL COLLATE NOCASE,
    invited_by           INTEGER REFERENCES users (id) ON DELETE SET NULL,
    inviter_name         TEXT    NOT NULL,
    token_nonce          BLOB    NOT NULL,
    token_hash           BLOB    NOT NULL UNIQUE,
    state                TEXT    NOT NULL CHECK (state IN ('pending', 'accepted', 'cancelled', 'superseded')),
    created_at           INTEGER NOT NULL,
    sent_at              INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL,
    ended_at             INTEGER,
    ended_by             INTEGER REFERENCES users (id) ON DELETE SET NULL,
    superseded_by        INTEGER REFERENCES invitations (id) ON DELETE SET NULL,
    renewal_requested_at INTEGER,
    reminded_at          INTEGER
);
CREATE UNIQUE INDEX invitations_one_pending ON invitations (user_id) WHERE state = 'pending';
CREATE INDEX invitations_user ON invitations (user_id, id);
CREATE INDEX invitations_remind ON invitations (expires_at) WHERE state = 'pending' AND reminded_at IS NULL;

-- The (space, role) grants an invitation offers.
CREATE TABLE invitation_roles (
    invitation_id INTEGER NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    space_id      INTEGER NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'member')),
    PRIMARY KEY (invitation_id, space_id)
) WITHOUT ROWID;
CREATE INDEX invitation_roles_space ON invitation_roles (space_id, invitation_id);

-- An invitation's history, for Manage invitation.
CREATE TABLE invitation_events (
    id            INTEGER PRIMARY KEY,
    invitation_id INTEGER NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    actor_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    actor_name    TEXT    NOT NULL DEFAULT '',
    kind          TEXT    NOT NULL,
    detail        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX invitation_events_invitation ON invitation_events (invitation_id, id);

-- The outbox: every message is written in the same transaction as the action
-- that causes it, under a key that makes a repeated action a no-op. The body
-- is rendered when sent, so the link never rests in the database.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    invitation_id   INTEGER REFERENCES invitations (id) ON DELETE CASCADE,
    payload         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'captured')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'queued';
CREATE INDEX outbox_invitation ON outbox (invitation_id, id);
CREATE INDEX outbox_recent ON outbox (created_at DESC, id DESC);

CREATE TABLE outbox_attempts (
    id        INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    ok        INTEGER NOT NULL,
    reply     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX outbox_attempts_outbox ON outbox_attempts (outbox_id, id);

-- +goose Down
DROP TABLE outbox_attempts;
DROP TABLE outbox;
DROP TABLE invitation_events;
DROP TABLE invitation_roles;
DROP TABLE invitations;
DROP TABLE role_grants;
DROP TABLE users;
DROP TABLE spaces;
