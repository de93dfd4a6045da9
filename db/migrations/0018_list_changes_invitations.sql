-- The users list's order (issue 19, migration 0017) also keeps, for each
-- user, what their invitations show in the list: whether they are Not
-- delivered (a pending invitation whose newest email failed,
-- invitations.undelivered, migration 0007), and who invited them and when
-- (their newest pending or accepted invitation); and the roles they hold.
-- So a change to those is noted too, for the invitation's or the grant's
-- user, whoever writes it.

-- +goose Up
-- +goose StatementBegin
CREATE TRIGGER list_changes_invitation_insert AFTER INSERT ON invitations
WHEN NEW.user_id IS NOT NULL
BEGIN
	INSERT INTO list_changes (user_id) VALUES (NEW.user_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER list_changes_invitation_update AFTER UPDATE OF state, undelivered, user_id, inviter_name, created_at ON invitations
WHEN OLD.state IS NOT NEW.state OR OLD.undelivered IS NOT NEW.undelivered OR OLD.user_id IS NOT NEW.user_id
  OR OLD.inviter_name IS NOT NEW.inviter_name OR OLD.created_at IS NOT NEW.created_at
BEGIN
	INSERT INTO list_changes (user_id) SELECT OLD.user_id WHERE OLD.user_id IS NOT NULL;
	INSERT INTO list_changes (user_id) SELECT NEW.user_id WHERE NEW.user_id IS NOT NULL AND NEW.user_id IS NOT OLD.user_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER list_changes_invitation_delete AFTER DELETE ON invitations
WHEN OLD.user_id IS NOT NULL
BEGIN
	INSERT INTO list_changes (user_id) VALUES (OLD.user_id);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER list_changes_grant_insert AFTER INSERT ON role_grants BEGIN
	INSERT INTO list_changes (user_id) VALUES (NEW.user_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER list_changes_grant_update AFTER UPDATE ON role_grants BEGIN
	INSERT INTO list_changes (user_id) VALUES (OLD.user_id);
	INSERT INTO list_changes (user_id) SELECT NEW.user_id WHERE NEW.user_id IS NOT OLD.user_id;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER list_changes_grant_delete AFTER DELETE ON role_grants BEGIN
	INSERT INTO list_changes (user_id) VALUES (OLD.user_id);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER list_changes_grant_delete;
DROP TRIGGER list_changes_grant_update;
DROP TRIGGER list_changes_grant_insert;
DROP TRIGGER list_changes_invitation_delete;
DROP TRIGGER list_changes_invitation_update;
DROP TRIGGER list_changes_invitation_insert;
