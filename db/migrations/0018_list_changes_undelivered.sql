-- The users list's order (issue 19, migration 0017) also keeps who is
-- Not delivered: a pending invitation whose newest email failed
-- (invitations.undelivered, migration 0007). So a change to that is noted
-- too, for the invitation's user, whoever writes it.

-- +goose Up
-- +goose StatementBegin
CREATE TRIGGER list_changes_invitation_insert AFTER INSERT ON invitations
WHEN NEW.user_id IS NOT NULL AND NEW.state = 'pending' AND NEW.undelivered = 1
BEGIN
	INSERT INTO list_changes (user_id) VALUES (NEW.user_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER list_changes_invitation_update AFTER UPDATE OF state, undelivered, user_id ON invitations
WHEN (OLD.state = 'pending' AND OLD.undelivered = 1) IS NOT (NEW.state = 'pending' AND NEW.undelivered = 1)
  OR OLD.user_id IS NOT NEW.user_id
BEGIN
	INSERT INTO list_changes (user_id) SELECT OLD.user_id WHERE OLD.user_id IS NOT NULL;
	INSERT INTO list_changes (user_id) SELECT NEW.user_id WHERE NEW.user_id IS NOT NULL AND NEW.user_id IS NOT OLD.user_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER list_changes_invitation_delete AFTER DELETE ON invitations
WHEN OLD.user_id IS NOT NULL AND OLD.state = 'pending' AND OLD.undelivered = 1
BEGIN
	INSERT INTO list_changes (user_id) VALUES (OLD.user_id);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER list_changes_invitation_delete;
DROP TRIGGER list_changes_invitation_update;
DROP TRIGGER list_changes_invitation_insert;
