-- What an administrator sent in the last hour (invitations.Budget), counted
-- inside every action that sends: one short range per kind of send. The
-- same index serves ON DELETE SET NULL when a user is deleted, which
-- otherwise reads the whole history.

-- +goose Up
CREATE INDEX invitation_events_actor ON invitation_events (actor_id, kind, at);

-- +goose Down
DROP INDEX invitation_events_actor;
