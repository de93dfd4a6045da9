-- Languages (issue 15): the one each person chose on their profile ('' when
-- they have not: their browser's, else the account's, is used), the one
-- each invitation speaks (its emails and its accept page; the invitations
-- from before were English), and the account's default, which an account
-- administrator sets ('' until then: USHER_DEFAULT_LANGUAGE).

-- +goose Up
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '' CHECK (length(language) <= 35);
ALTER TABLE invitations ADD COLUMN language TEXT NOT NULL DEFAULT 'en' CHECK (length(language) <= 35);
CREATE TABLE account_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE account_settings;
ALTER TABLE invitations DROP COLUMN language;
ALTER TABLE users DROP COLUMN language;
