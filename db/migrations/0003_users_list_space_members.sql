-- A space administrator's users list (issue 4) reads the people of their
-- spaces: role grants, and pending invitations offering a role there. This
-- index answers "is invitation i pending, and whose is it" without reading
-- the (wide) invitation row, for each invitation that offered a role in
-- those spaces, most of them long accepted.

-- +goose Up
CREATE INDEX invitations_pending_user ON invitations (id, user_id) WHERE state = 'pending';

-- +goose Down
DROP INDEX invitations_pending_user;
