-- Sorting by name sorts by the name the list shows: an invitee who has not
-- given a name is listed under their email, and is sorted there too, not
-- first of all with an empty name.
--
-- That name is kept in a column of its own, sort_name, by triggers: an
-- index on the expression itself (CASE WHEN name = '' …) walks at half the
-- speed, since SQLite computes the expression again from the row for each
-- entry it passes (page 1,000: 2.3 ms instead of 1.1 ms).

-- +goose Up
ALTER TABLE users ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
UPDATE users SET sort_name = CASE WHEN name = '' THEN email ELSE name END;

-- +goose StatementBegin
CREATE TRIGGER users_sort_name_insert AFTER INSERT ON users BEGIN
    UPDATE users SET sort_name = CASE WHEN NEW.name = '' THEN NEW.email ELSE NEW.name END WHERE id = NEW.id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_sort_name_update AFTER UPDATE OF name, email ON users BEGIN
    UPDATE users SET sort_name = CASE WHEN NEW.name = '' THEN NEW.email ELSE NEW.name END WHERE id = NEW.id;
END;
-- +goose StatementEnd

DROP INDEX users_name_email;
DROP INDEX users_rank_name;
DROP INDEX users_name;
-- The All tab in name order.
CREATE INDEX users_sort_name ON users (sort_name COLLATE NOCASE, id);
-- A search walking the All tab in name order: name and email are there,
-- so each user walked past is tested in the index.
CREATE INDEX users_sort_name_email ON users (sort_name COLLATE NOCASE, id, name, email);
-- A tab in name order, and the Status sort.
CREATE INDEX users_rank_sort_name ON users ((CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END), sort_name COLLATE NOCASE, id, invite_expires_at);

-- +goose Down
DROP INDEX users_rank_sort_name;
DROP INDEX users_sort_name_email;
DROP INDEX users_sort_name;
DROP TRIGGER users_sort_name_update;
DROP TRIGGER users_sort_name_insert;
ALTER TABLE users DROP COLUMN sort_name;
CREATE INDEX users_name ON users (name COLLATE NOCASE, id);
CREATE INDEX users_rank_name ON users ((CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END), name COLLATE NOCASE, id, invite_expires_at);
CREATE INDEX users_name_email ON users (name COLLATE NOCASE, id, email);
