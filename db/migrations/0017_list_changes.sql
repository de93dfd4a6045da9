-- The users list's order (issue 19): each process keeps, in memory, every
-- user's place in each sort order and tab (db/listindex.go), so that page
-- 731 sorted by email is found without walking 36,550 index entries. What
-- it keeps must stay right whoever writes: this server, a second one on
-- the same file, `usher admin …`, or an operator's own SQL. So every
-- change to what the list sorts and counts by is noted here by triggers,
-- in the writer's own transaction, and each process reads the notes after
-- its last one when the database has moved on (PRAGMA data_version).
-- Notes older than a day are deleted; a process that has not read them
-- since reloads the whole order instead.

-- +goose Up
CREATE TABLE list_changes (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id INTEGER NOT NULL,
	at      INTEGER NOT NULL DEFAULT (unixepoch())
);

-- +goose StatementBegin
CREATE TRIGGER list_changes_insert AFTER INSERT ON users BEGIN
	INSERT INTO list_changes (user_id) VALUES (NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER list_changes_update AFTER UPDATE OF sort_name, email, activated_at, deactivated_at, last_sign_in_at, invite_expires_at ON users
WHEN OLD.sort_name IS NOT NEW.sort_name OR OLD.email IS NOT NEW.email OR OLD.activated_at IS NOT NEW.activated_at
  OR OLD.deactivated_at IS NOT NEW.deactivated_at OR OLD.last_sign_in_at IS NOT NEW.last_sign_in_at OR OLD.invite_expires_at IS NOT NEW.invite_expires_at
BEGIN
	INSERT INTO list_changes (user_id) VALUES (NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER list_changes_delete AFTER DELETE ON users BEGIN
	INSERT INTO list_changes (user_id) VALUES (OLD.id);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER list_changes_delete;
DROP TRIGGER list_changes_update;
DROP TRIGGER list_changes_insert;
DROP TABLE list_changes;
