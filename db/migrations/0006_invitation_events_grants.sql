-- A space administrator reads an invitation's history with the names of
-- spaces outside theirs left out (issue 12), so the events about roles (a
-- role removed, the roles granted on accept) must say which spaces they
-- concern. They kept them as text only, in detail ("Member of Room 4"),
-- which cannot be told apart by space; they now keep the roles themselves
-- in grants, a JSON array of {"space_id", "kind", "name", "role"} with the
-- space's name as it was then, and leave detail empty.
--
-- Rows from before are left as they are. Their text cannot be matched to a
-- space with certainty (spaces are renamed and deleted, names repeat), and
-- a wrong match would show a name to someone who must not see it. Without
-- grants, an account administrator reads their text as before, and a space
-- administrator a sentence that names no space.

-- +goose Up
ALTER TABLE invitation_events ADD COLUMN grants TEXT CHECK (grants IS NULL OR json_valid(grants));

-- +goose Down
UPDATE invitation_events SET detail = (
    SELECT group_concat(
        CASE json_extract(value, '$.role') WHEN 'admin' THEN 'Administrator' ELSE 'Member' END ||
        CASE WHEN json_extract(value, '$.kind') = 'account' THEN '' ELSE ' of ' || json_extract(value, '$.name') END, ', ')
    FROM json_each(grants))
WHERE grants IS NOT NULL;
ALTER TABLE invitation_events DROP COLUMN grants;
