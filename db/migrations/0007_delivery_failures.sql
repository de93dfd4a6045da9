-- Delivery failures said loudly (issue 14).
--
-- outbox_attempts.outage marks an attempt that failed because the mail
-- server could not be reached or used at all (connection refused, TLS,
-- login, no answer), which every message meets alike. The account-wide
-- notice "Emails can't be sent" is derived from these: it stands while
-- the newest such attempt is newer than the newest accepted one, in
-- whichever process sent them. Both are one probe of a partial index.
--
-- invitations.undelivered marks a pending invitation whose newest email
-- (not counting the renewal request to the inviter) failed, or failed once
-- and waits to be retried: the users list's "Not delivered" filter and its
-- count read invitations_undelivered only. Triggers on the outbox keep it.

-- +goose Up
ALTER TABLE outbox_attempts ADD COLUMN outage INTEGER NOT NULL DEFAULT 0;
-- Attempts from before: a failure of a message still retried was most
-- likely the server's, not the message's.
UPDATE outbox_attempts SET outage = 1
WHERE ok = 0 AND outbox_id IN (SELECT id FROM outbox WHERE state = 'queued');
CREATE INDEX outbox_attempts_accepted ON outbox_attempts (id) WHERE ok = 1;
CREATE INDEX outbox_attempts_outage ON outbox_attempts (id) WHERE outage = 1;

ALTER TABLE invitations ADD COLUMN undelivered INTEGER NOT NULL DEFAULT 0;
UPDATE invitations SET undelivered = 1
WHERE state = 'pending' AND EXISTS (
    SELECT 1 FROM outbox o
    WHERE o.id = (SELECT max(id) FROM outbox WHERE invitation_id = invitations.id AND kind != 'renewal_request')
      AND (o.state = 'failed' OR (o.state = 'queued' AND o.last_error != '')));
CREATE INDEX invitations_undelivered ON invitations (user_id) WHERE state = 'pending' AND undelivered = 1;

-- A new email about an invitation is its newest: it decides.
-- +goose StatementBegin
CREATE TRIGGER outbox_undelivered_insert AFTER INSERT ON outbox
WHEN NEW.invitation_id IS NOT NULL AND NEW.kind != 'renewal_request' BEGIN
    UPDATE invitations SET undelivered = (NEW.state = 'failed' OR (NEW.state = 'queued' AND NEW.last_error != ''))
    WHERE id = NEW.invitation_id;
END;
-- +goose StatementEnd
-- An attempt's outcome decides too, if its email is still the newest.
-- +goose StatementBegin
CREATE TRIGGER outbox_undelivered_update AFTER UPDATE OF state, last_error ON outbox
WHEN NEW.invitation_id IS NOT NULL AND NEW.kind != 'renewal_request' BEGIN
    UPDATE invitations SET undelivered = (NEW.state = 'failed' OR (NEW.state = 'queued' AND NEW.last_error != ''))
    WHERE id = NEW.invitation_id
      AND NOT EXISTS (SELECT 1 FROM outbox WHERE invitation_id = NEW.invitation_id AND id > NEW.id AND kind != 'renewal_request');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER outbox_undelivered_update;
DROP TRIGGER outbox_undelivered_insert;
DROP INDEX invitations_undelivered;
ALTER TABLE invitations DROP COLUMN undelivered;
DROP INDEX outbox_attempts_outage;
DROP INDEX outbox_attempts_accepted;
ALTER TABLE outbox_attempts DROP COLUMN outage;
