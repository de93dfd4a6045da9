-- The users list at 100,000 users (issue 4): every page, tab, count and
-- search of Settings > Users reads an index, never the whole table.

-- +goose Up

-- The status rank,
--     CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END,
-- orders and partitions users by the part of their status that is stored:
-- 0 active, 1 pending (Invited or Invitation expired, which the clock
-- decides through invite_expires_at), 2 deactivated. The indexes below are
-- on that expression, and db/users.go writes it out identically, so that
-- SQLite matches the two. (A VIRTUAL generated column would read better,
-- but SQLite never treats an index on one as covering: every row would be
-- read from the table to compute it again.)

-- One index per sort order of a tab: equality on the rank, then the sort
-- key, then invite_expires_at, so that a tab is one range of one index, the
-- Invited and Invitation expired tabs are told apart inside the index, and
-- an OFFSET skips index entries without reading a single table row. The
-- UNIQUE index on email and users_name (0001) serve the All tab; the Status
-- sort is users_rank_name. These stay narrow: page 1,000 walks 50,000 of
-- their entries, and the smaller they are the fewer pages that takes.
CREATE INDEX users_rank_name ON users ((CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END), name COLLATE NOCASE, id, invite_expires_at);
CREATE INDEX users_rank_email ON users ((CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END), email, invite_expires_at);
-- A search of the All tab in the default order walks this one instead: it
-- holds the email too, so each user walked past is tested in the index.
CREATE INDEX users_name_email ON users (name COLLATE NOCASE, id, email);
CREATE INDEX users_joined ON users (coalesce(activated_at, created_at), id);
CREATE INDEX users_rank_joined ON users ((CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END), coalesce(activated_at, created_at), id, invite_expires_at);

-- Counting: pending users whose invitation is still running at a given
-- time (one range), and the statuses of search matches (one probe each),
-- both without reading the table.
CREATE INDEX users_rank_expires ON users ((CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END), invite_expires_at);
CREATE INDEX users_id_status ON users (id, (CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END), invite_expires_at);

-- Totals per rank, kept in step by triggers, so that the tab counts of an
-- unfiltered list cost three primary-key reads and one range of
-- users_rank_expires instead of counting 100,000 rows.
CREATE TABLE user_status_counts (
    status_rank INTEGER PRIMARY KEY,
    n           INTEGER NOT NULL
);
INSERT INTO user_status_counts (status_rank, n)
SELECT r, (SELECT count(*) FROM users WHERE (CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END) = r)
FROM (SELECT 0 AS r UNION ALL SELECT 1 UNION ALL SELECT 2);

-- +goose StatementBegin
CREATE TRIGGER users_count_insert AFTER INSERT ON users BEGIN
    UPDATE user_status_counts SET n = n + 1
    WHERE status_rank = CASE WHEN NEW.deactivated_at IS NOT NULL THEN 2 WHEN NEW.activated_at IS NULL THEN 1 ELSE 0 END;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_count_delete AFTER DELETE ON users BEGIN
    UPDATE user_status_counts SET n = n - 1
    WHERE status_rank = CASE WHEN OLD.deactivated_at IS NOT NULL THEN 2 WHEN OLD.activated_at IS NULL THEN 1 ELSE 0 END;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_count_update AFTER UPDATE OF activated_at, deactivated_at ON users
WHEN (CASE WHEN OLD.deactivated_at IS NOT NULL THEN 2 WHEN OLD.activated_at IS NULL THEN 1 ELSE 0 END)
  != (CASE WHEN NEW.deactivated_at IS NOT NULL THEN 2 WHEN NEW.activated_at IS NULL THEN 1 ELSE 0 END) BEGIN
    UPDATE user_status_counts SET n = n - 1
    WHERE status_rank = CASE WHEN OLD.deactivated_at IS NOT NULL THEN 2 WHEN OLD.activated_at IS NULL THEN 1 ELSE 0 END;
    UPDATE user_status_counts SET n = n + 1
    WHERE status_rank = CASE WHEN NEW.deactivated_at IS NOT NULL THEN 2 WHEN NEW.activated_at IS NULL THEN 1 ELSE 0 END;
END;
-- +goose StatementEnd

-- Pending users by the day (UTC, Unix days) their invitation expires,
-- kept in step by triggers. The Invited count at a time now is the sum of
-- the days after today plus one short range of users_rank_expires, for
-- the invitations that expire later today: it reads a few rows whatever
-- the number of invitations, and needs no job to move anyone at expiry.
CREATE TABLE pending_expiry_days (
    day INTEGER PRIMARY KEY,
    n   INTEGER NOT NULL
);
INSERT INTO pending_expiry_days (day, n)
SELECT u.invite_expires_at / 86400, count(*) FROM users u
WHERE (CASE WHEN u.deactivated_at IS NOT NULL THEN 2 WHEN u.activated_at IS NULL THEN 1 ELSE 0 END) = 1 AND u.invite_expires_at IS NOT NULL
GROUP BY 1;

-- +goose StatementBegin
CREATE TRIGGER users_expiry_insert AFTER INSERT ON users
WHEN (CASE WHEN NEW.deactivated_at IS NOT NULL THEN 2 WHEN NEW.activated_at IS NULL THEN 1 ELSE 0 END) = 1 AND NEW.invite_expires_at IS NOT NULL BEGIN
    INSERT INTO pending_expiry_days (day, n) VALUES (NEW.invite_expires_at / 86400, 1)
    ON CONFLICT (day) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_expiry_delete AFTER DELETE ON users
WHEN (CASE WHEN OLD.deactivated_at IS NOT NULL THEN 2 WHEN OLD.activated_at IS NULL THEN 1 ELSE 0 END) = 1 AND OLD.invite_expires_at IS NOT NULL BEGIN
    UPDATE pending_expiry_days SET n = n - 1 WHERE day = OLD.invite_expires_at / 86400;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_expiry_update AFTER UPDATE OF invite_expires_at, activated_at, deactivated_at ON users BEGIN
    UPDATE pending_expiry_days SET n = n - 1
    WHERE day = OLD.invite_expires_at / 86400 AND (CASE WHEN OLD.deactivated_at IS NOT NULL THEN 2 WHEN OLD.activated_at IS NULL THEN 1 ELSE 0 END) = 1;
    INSERT INTO pending_expiry_days (day, n)
    SELECT NEW.invite_expires_at / 86400, 1 WHERE (CASE WHEN NEW.deactivated_at IS NOT NULL THEN 2 WHEN NEW.activated_at IS NULL THEN 1 ELSE 0 END) = 1 AND NEW.invite_expires_at IS NOT NULL
    ON CONFLICT (day) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd

-- The newest email about each invitation, as the users list shows it
-- ("Email not delivered"), without reading the outbox's wide rows.
CREATE INDEX outbox_invitation_delivery ON outbox (invitation_id, id, kind, state, last_error);

-- Search: a trigram index over name and email finds any substring of three
-- characters or more (what people type: "mart", "@acme", "son") without
-- reading users. Its rowid is the user's id plus their rank times 2^40, so
-- that the matches of each tab are one rowid range of the index: counting
-- a search's matches per tab, and reading one tab's matches, never touch
-- the users table. That is why it keeps its own rowids, and so no copy of
-- the text (contentless, with deletes by rowid), kept in step by the
-- triggers below.
CREATE VIRTUAL TABLE users_search USING fts5 (
    name, email,
    content = '', contentless_delete = 1,
    tokenize = 'trigram'
);
INSERT INTO users_search (rowid, name, email)
SELECT u.id + ((CASE WHEN u.deactivated_at IS NOT NULL THEN 2 WHEN u.activated_at IS NULL THEN 1 ELSE 0 END) << 40), u.name, u.email FROM users u;

-- +goose StatementBegin
CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, name, email)
    VALUES (NEW.id + ((CASE WHEN NEW.deactivated_at IS NOT NULL THEN 2 WHEN NEW.activated_at IS NULL THEN 1 ELSE 0 END) << 40), NEW.name, NEW.email);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    DELETE FROM users_search WHERE rowid = OLD.id + ((CASE WHEN OLD.deactivated_at IS NOT NULL THEN 2 WHEN OLD.activated_at IS NULL THEN 1 ELSE 0 END) << 40);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_search_update AFTER UPDATE OF name, email, activated_at, deactivated_at ON users BEGIN
    DELETE FROM users_search WHERE rowid = OLD.id + ((CASE WHEN OLD.deactivated_at IS NOT NULL THEN 2 WHEN OLD.activated_at IS NULL THEN 1 ELSE 0 END) << 40);
    INSERT INTO users_search (rowid, name, email)
    VALUES (NEW.id + ((CASE WHEN NEW.deactivated_at IS NOT NULL THEN 2 WHEN NEW.activated_at IS NULL THEN 1 ELSE 0 END) << 40), NEW.name, NEW.email);
END;
-- +goose StatementEnd

-- Search for one or two characters: the trigram index cannot answer
-- those, so users_grams indexes every character and every pair of
-- characters of the name and the email, each as a token of its own ("u"
-- or "b", then the UTF-8 bytes in hex, so that the tokenizer keeps every
-- character, % _ @ and . included). lower() folds ASCII letters only, as
-- LIKE does. Rowids as in users_search; no positions are needed.
CREATE TABLE gram_positions (i INTEGER PRIMARY KEY);
INSERT INTO gram_positions (i)
SELECT a.n * 16 + b.n + 1
FROM (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7
      UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10 UNION ALL SELECT 11 UNION ALL SELECT 12 UNION ALL SELECT 13 UNION ALL SELECT 14 UNION ALL SELECT 15) a,
     (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7
      UNION ALL SELECT 8 UNION ALL SELECT 9 UNION ALL SELECT 10 UNION ALL SELECT 11 UNION ALL SELECT 12 UNION ALL SELECT 13 UNION ALL SELECT 14 UNION ALL SELECT 15) b;

CREATE VIRTUAL TABLE users_grams USING fts5 (
    grams,
    content = '', contentless_delete = 1, detail = none
);
INSERT INTO users_grams (rowid, grams)
SELECT u.id + ((CASE WHEN u.deactivated_at IS NOT NULL THEN 2 WHEN u.activated_at IS NULL THEN 1 ELSE 0 END) << 40), (SELECT group_concat('u' || hex(substr(f.v, p.i, 1)) || ' b' || hex(substr(f.v, p.i, 2)), ' ')
             FROM (SELECT lower(u.name) || ' ' AS v UNION ALL SELECT lower(u.email) || ' ') f
             JOIN gram_positions p ON p.i < length(f.v))
FROM users u;

-- +goose StatementBegin
CREATE TRIGGER users_grams_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_grams (rowid, grams)
    VALUES (NEW.id + ((CASE WHEN NEW.deactivated_at IS NOT NULL THEN 2 WHEN NEW.activated_at IS NULL THEN 1 ELSE 0 END) << 40), (SELECT group_concat('u' || hex(substr(f.v, p.i, 1)) || ' b' || hex(substr(f.v, p.i, 2)), ' ')
             FROM (SELECT lower(NEW.name) || ' ' AS v UNION ALL SELECT lower(NEW.email) || ' ') f
             JOIN gram_positions p ON p.i < length(f.v)));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_grams_delete AFTER DELETE ON users BEGIN
    DELETE FROM users_grams WHERE rowid = OLD.id + ((CASE WHEN OLD.deactivated_at IS NOT NULL THEN 2 WHEN OLD.activated_at IS NULL THEN 1 ELSE 0 END) << 40);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_grams_update AFTER UPDATE OF name, email, activated_at, deactivated_at ON users BEGIN
    DELETE FROM users_grams WHERE rowid = OLD.id + ((CASE WHEN OLD.deactivated_at IS NOT NULL THEN 2 WHEN OLD.activated_at IS NULL THEN 1 ELSE 0 END) << 40);
    INSERT INTO users_grams (rowid, grams)
    VALUES (NEW.id + ((CASE WHEN NEW.deactivated_at IS NOT NULL THEN 2 WHEN NEW.activated_at IS NULL THEN 1 ELSE 0 END) << 40), (SELECT group_concat('u' || hex(substr(f.v, p.i, 1)) || ' b' || hex(substr(f.v, p.i, 2)), ' ')
             FROM (SELECT lower(NEW.name) || ' ' AS v UNION ALL SELECT lower(NEW.email) || ' ') f
             JOIN gram_positions p ON p.i < length(f.v)));
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER users_grams_update;
DROP TRIGGER users_grams_delete;
DROP TRIGGER users_grams_insert;
DROP TABLE users_grams;
DROP TABLE gram_positions;
DROP TRIGGER users_search_update;
DROP TRIGGER users_search_delete;
DROP TRIGGER users_search_insert;
DROP TABLE users_search;
DROP INDEX outbox_invitation_delivery;
DROP TRIGGER users_expiry_update;
DROP TRIGGER users_expiry_delete;
DROP TRIGGER users_expiry_insert;
DROP TABLE pending_expiry_days;
DROP TRIGGER users_count_update;
DROP TRIGGER users_count_delete;
DROP TRIGGER users_count_insert;
DROP TABLE user_status_counts;
DROP INDEX users_id_status;
DROP INDEX users_rank_expires;
DROP INDEX users_rank_joined;
DROP INDEX users_joined;
DROP INDEX users_rank_email;
DROP INDEX users_name_email;
DROP INDEX users_rank_name;
