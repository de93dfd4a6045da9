-- An invitation's expiry is not a write: a pending invitation is expired
-- once the clock passes expires_at. The activity log (issue 17) still
-- records it, once, as the system: the sender loop finds the pending
-- invitations whose expiry passed and is not yet in the log (through the
-- partial index below, which holds only those waiting), writes the row
-- with the moment of expiry as its time, and marks them here.
--
-- Invitations that expired before this migration are logged too, at their
-- own times, on the first run.

-- +goose Up
ALTER TABLE invitations ADD COLUMN expiry_logged INTEGER NOT NULL DEFAULT 0;
CREATE INDEX invitations_expiry_unlogged ON invitations (expires_at) WHERE state = 'pending' AND expiry_logged = 0;

-- +goose Down
DROP INDEX invitations_expiry_unlogged;
ALTER TABLE invitations DROP COLUMN expiry_logged;
