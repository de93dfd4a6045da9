-- The users list's order (issue 19, migration 0017) also keeps what each
-- row shows of the user: their name and email as written, and when they
-- were created. So a change to those is noted too.

-- +goose Up
DROP TRIGGER list_changes_update;
-- +goose StatementBegin
CREATE TRIGGER list_changes_update AFTER UPDATE OF sort_name, name, email, created_at, activated_at, deactivated_at, last_sign_in_at, invite_expires_at ON users
WHEN OLD.sort_name IS NOT NEW.sort_name OR OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email OR OLD.created_at IS NOT NEW.created_at
  OR OLD.activated_at IS NOT NEW.activated_at OR OLD.deactivated_at IS NOT NEW.deactivated_at
  OR OLD.last_sign_in_at IS NOT NEW.last_sign_in_at OR OLD.invite_expires_at IS NOT NEW.invite_expires_at
BEGIN
	INSERT INTO list_changes (user_id) VALUES (NEW.id);
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER list_changes_update;
-- +goose StatementBegin
CREATE TRIGGER list_changes_update AFTER UPDATE OF sort_name, email, activated_at, deactivated_at, last_sign_in_at, invite_expires_at ON users
WHEN OLD.sort_name IS NOT NEW.sort_name OR OLD.email IS NOT NEW.email OR OLD.activated_at IS NOT NEW.activated_at
  OR OLD.deactivated_at IS NOT NEW.deactivated_at OR OLD.last_sign_in_at IS NOT NEW.last_sign_in_at OR OLD.invite_expires_at IS NOT NEW.invite_expires_at
BEGIN
	INSERT INTO list_changes (user_id) VALUES (NEW.id);
END;
-- +goose StatementEnd
