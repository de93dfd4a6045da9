-- The account-wide activity log (issue 17): one row per thing that
-- happened, written by the transaction that made the change.
--
-- A row keeps the names and emails as they were, and no foreign keys: it
-- outlives the users and spaces it names (deleting a user must not touch
-- the row that says they were deleted). actor_id NULL with actor_name ''
-- is the system (the sender, expiry). details is the structured part
-- (internal/activity.Details) as JSON.
--
-- activity_people and activity_spaces index each row under every person
-- (actor and subject) and every space it concerns, with its time, so that
-- each filter the page offers is one ordered index range: newest first is
-- (at DESC, id DESC), and the keyset cursor is that pair.
--
-- Append-only: triggers refuse any UPDATE, and any DELETE of a row at or
-- after the retention cutoff, which only the retention purge moves
-- (activity_retention, one row).

-- +goose Up
CREATE TABLE activity (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    actor_id      INTEGER,
    actor_name    TEXT    NOT NULL DEFAULT '',
    actor_email   TEXT    NOT NULL DEFAULT '',
    subject_id    INTEGER,
    subject_name  TEXT    NOT NULL DEFAULT '',
    subject_email TEXT    NOT NULL DEFAULT '',
    ip            TEXT    NOT NULL DEFAULT '',
    details       TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE INDEX activity_at ON activity (at, id);
CREATE INDEX activity_kind ON activity (kind, at, id);

CREATE TABLE activity_people (
    user_id     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    activity_id INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    PRIMARY KEY (user_id, at, activity_id)
) WITHOUT ROWID;
CREATE INDEX activity_people_kind ON activity_people (user_id, kind, at, activity_id);
CREATE INDEX activity_people_row ON activity_people (activity_id);

CREATE TABLE activity_spaces (
    space_id    INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    activity_id INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    PRIMARY KEY (space_id, at, activity_id)
) WITHOUT ROWID;
CREATE INDEX activity_spaces_kind ON activity_spaces (space_id, kind, at, activity_id);
CREATE INDEX activity_spaces_row ON activity_spaces (activity_id);

CREATE TABLE activity_retention (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    before INTEGER NOT NULL
);
INSERT INTO activity_retention (id, before) VALUES (1, 0);

-- +goose StatementBegin
CREATE TRIGGER activity_append_only BEFORE UPDATE ON activity
BEGIN
    SELECT RAISE(ABORT, 'the activity log is append-only');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER activity_kept BEFORE DELETE ON activity
WHEN old.at >= (SELECT before FROM activity_retention WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'the activity log is append-only: only the retention purge deletes rows, those older than its cutoff');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER activity_kept;
DROP TRIGGER activity_append_only;
DROP TABLE activity_retention;
DROP TABLE activity_spaces;
DROP TABLE activity_people;
DROP TABLE activity;
