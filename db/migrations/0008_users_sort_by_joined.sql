-- The users list's date column is Joined (issue 14): when a person
-- accepted their invitation, and "Not yet" for those who have not. It used
-- to be "Invited or joined", one column meaning two things, sorted by
-- coalesce(activated_at, created_at), which put people who never joined
-- among the joined by the day they were invited. The Joined sort is by
-- activated_at, with those who have not joined after everyone who has (as
-- if they were to join later than anyone did): (activated_at IS NULL),
-- activated_at, id. These indexes replace 0002's for the old order, a tab
-- reading its rank twin as before, and db/users.go writes the expression
-- out identically so that SQLite matches them.

-- +goose Up
DROP INDEX users_rank_joined;
DROP INDEX users_joined;
CREATE INDEX users_joined_at ON users ((activated_at IS NULL), activated_at, id);
CREATE INDEX users_rank_joined_at ON users ((CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END), (activated_at IS NULL), activated_at, id, invite_expires_at);

-- +goose Down
DROP INDEX users_rank_joined_at;
DROP INDEX users_joined_at;
CREATE INDEX users_joined ON users (coalesce(activated_at, created_at), id);
CREATE INDEX users_rank_joined ON users ((CASE WHEN deactivated_at IS NOT NULL THEN 2 WHEN activated_at IS NULL THEN 1 ELSE 0 END), coalesce(activated_at, created_at), id, invite_expires_at);
