-- Sorting by name sorts by the name the list shows: an invitee who has not
-- given a name is listed under their email, and is sorted there too, not
-- first of all with an empty name. The sort key,
--     CASE WHEN name = '' THEN email ELSE name END,
-- is written out identically in db/users.go (shownNameExpr), so that SQLite
-- matches it with these indexes.

-- +goose Up
DROP INDEX users_name_email;
DROP INDEX users_rank_name;
DROP INDEX users_name;
-- The All tab in name order, and a search walking it: name and email are
-- there, so each user walked past is tested in the index.
CREATE INDEX users_shown_name ON users ((CASE WHEN name = '' THEN email ELSE name END) COLLATE NOCASE, id, name, email);
-- A tab in name order, and the Status sort.
CREATE INDEX users_rank_shown_name ON users ((CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END), (CASE WHEN name = '' THEN email ELSE name END) COLLATE NOCASE, id, invite_expires_at);

-- +goose Down
DROP INDEX users_rank_shown_name;
DROP INDEX users_shown_name;
CREATE INDEX users_name ON users (name COLLATE NOCASE, id);
CREATE INDEX users_rank_name ON users ((CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END), name COLLATE NOCASE, id, invite_expires_at);
CREATE INDEX users_name_email ON users (name COLLATE NOCASE, id, email);
