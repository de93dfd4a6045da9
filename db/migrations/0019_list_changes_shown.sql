-- The users list's order (issue 19, migration 0017) also keeps what each
-- row shows: the user's name and email as written and when they were
-- created, and their pending invitation (when it was sent and expires,
-- whether a new one was asked for, what became of its newest email, the
-- roles it offers). So a change to any of those is noted too, for the
-- user it shows on.

-- +goose Up
-- The notes older than a day are deleted at every pass of the sender: by
-- this index, not through the whole table.
CREATE INDEX list_changes_at ON list_changes (at);

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

DROP TRIGGER list_changes_invitation_update;
-- +goose StatementBegin
CREATE TRIGGER list_changes_invitation_update AFTER UPDATE OF state, undelivered, user_id, inviter_name, created_at, sent_at, expires_at, renewal_requested_at ON invitations
WHEN OLD.state IS NOT NEW.state OR OLD.undelivered IS NOT NEW.undelivered OR OLD.user_id IS NOT NEW.user_id
  OR OLD.inviter_name IS NOT NEW.inviter_name OR OLD.created_at IS NOT NEW.created_at OR OLD.sent_at IS NOT NEW.sent_at
  OR OLD.expires_at IS NOT NEW.expires_at OR OLD.renewal_requested_at IS NOT NEW.renewal_requested_at
BEGIN
	INSERT INTO list_changes (user_id) SELECT OLD.user_id WHERE OLD.user_id IS NOT NULL;
	INSERT INTO list_changes (user_id) SELECT NEW.user_id WHERE NEW.user_id IS NOT NULL AND NEW.user_id IS NOT OLD.user_id;
END;
-- +goose StatementEnd

-- The emails about an invitation (a request for a new one is about it
-- too, but not shown as its delivery).
-- +goose StatementBegin
CREATE TRIGGER list_changes_outbox_insert AFTER INSERT ON outbox
WHEN NEW.invitation_id IS NOT NULL AND NEW.kind != 'renewal_request'
BEGIN
	INSERT INTO list_changes (user_id) SELECT user_id FROM invitations WHERE id = NEW.invitation_id AND user_id IS NOT NULL;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER list_changes_outbox_update AFTER UPDATE OF state, last_error, invitation_id, kind ON outbox
WHEN OLD.state IS NOT NEW.state OR OLD.last_error IS NOT NEW.last_error OR OLD.invitation_id IS NOT NEW.invitation_id OR OLD.kind IS NOT NEW.kind
BEGIN
	INSERT INTO list_changes (user_id) SELECT user_id FROM invitations WHERE id IN (OLD.invitation_id, NEW.invitation_id) AND user_id IS NOT NULL;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER list_changes_outbox_delete AFTER DELETE ON outbox
WHEN OLD.invitation_id IS NOT NULL
BEGIN
	INSERT INTO list_changes (user_id) SELECT user_id FROM invitations WHERE id = OLD.invitation_id AND user_id IS NOT NULL;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER list_changes_offer_insert AFTER INSERT ON invitation_roles BEGIN
	INSERT INTO list_changes (user_id) SELECT user_id FROM invitations WHERE id = NEW.invitation_id AND user_id IS NOT NULL;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER list_changes_offer_update AFTER UPDATE ON invitation_roles BEGIN
	INSERT INTO list_changes (user_id) SELECT user_id FROM invitations WHERE id IN (OLD.invitation_id, NEW.invitation_id) AND user_id IS NOT NULL;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER list_changes_offer_delete AFTER DELETE ON invitation_roles BEGIN
	INSERT INTO list_changes (user_id) SELECT user_id FROM invitations WHERE id = OLD.invitation_id AND user_id IS NOT NULL;
END;
-- +goose StatementEnd

-- +goose Down
DROP INDEX list_changes_at;
DROP TRIGGER list_changes_offer_delete;
DROP TRIGGER list_changes_offer_update;
DROP TRIGGER list_changes_offer_insert;
DROP TRIGGER list_changes_outbox_delete;
DROP TRIGGER list_changes_outbox_update;
DROP TRIGGER list_changes_outbox_insert;

DROP TRIGGER list_changes_invitation_update;
-- +goose StatementBegin
CREATE TRIGGER list_changes_invitation_update AFTER UPDATE OF state, undelivered, user_id, inviter_name, created_at ON invitations
WHEN OLD.state IS NOT NEW.state OR OLD.undelivered IS NOT NEW.undelivered OR OLD.user_id IS NOT NEW.user_id
  OR OLD.inviter_name IS NOT NEW.inviter_name OR OLD.created_at IS NOT NEW.created_at
BEGIN
	INSERT INTO list_changes (user_id) SELECT OLD.user_id WHERE OLD.user_id IS NOT NULL;
	INSERT INTO list_changes (user_id) SELECT NEW.user_id WHERE NEW.user_id IS NOT NULL AND NEW.user_id IS NOT OLD.user_id;
END;
-- +goose StatementEnd

DROP TRIGGER list_changes_update;
-- +goose StatementBegin
CREATE TRIGGER list_changes_update AFTER UPDATE OF sort_name, email, activated_at, deactivated_at, last_sign_in_at, invite_expires_at ON users
WHEN OLD.sort_name IS NOT NEW.sort_name OR OLD.email IS NOT NEW.email OR OLD.activated_at IS NOT NEW.activated_at
  OR OLD.deactivated_at IS NOT NEW.deactivated_at OR OLD.last_sign_in_at IS NOT NEW.last_sign_in_at OR OLD.invite_expires_at IS NOT NEW.invite_expires_at
BEGIN
	INSERT INTO list_changes (user_id) VALUES (NEW.id);
END;
-- +goose StatementEnd
