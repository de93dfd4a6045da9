-- Bulk work (issue 18): an administrator's action on many people at once
-- is a job, kept here so that it survives a restart. Its items are the
-- people (or, for a CSV import, the lines), each done or skipped exactly
-- once: a runner takes the next waiting items of a job in one write
-- transaction, runs each item's own action inside it (in a savepoint) and
-- marks the items in the same transaction, so an item's email and its
-- mark commit together or not at all.
--
-- No foreign keys to users: a job outlives the people it was about (a
-- bulk delete), and its actor (the job stops if they lose their rights).

-- +goose Up
CREATE TABLE bulk_jobs (
	id          INTEGER PRIMARY KEY,
	actor_id    INTEGER NOT NULL,
	action      TEXT NOT NULL,
	ip          TEXT NOT NULL DEFAULT '',
	-- What was selected, as a digest (bulk.Selection.Key): the same form
	-- posted twice within moments (a double click) is the same job.
	selection   TEXT NOT NULL DEFAULT '',
	total       INTEGER NOT NULL,
	processed   INTEGER NOT NULL DEFAULT 0,
	done        INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	finished_at INTEGER,
	seen_at     INTEGER
);
-- The runner's question: which jobs are unfinished. The users page's: the
-- actor's jobs whose result they have not dismissed.
CREATE INDEX bulk_jobs_unfinished ON bulk_jobs (id) WHERE finished_at IS NULL;
CREATE INDEX bulk_jobs_unseen ON bulk_jobs (actor_id, id) WHERE seen_at IS NULL;
CREATE INDEX bulk_jobs_selection ON bulk_jobs (actor_id, selection, created_at);

CREATE TABLE bulk_items (
	job_id  INTEGER NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
	seq     INTEGER NOT NULL,
	user_id INTEGER NOT NULL DEFAULT 0,
	payload TEXT NOT NULL DEFAULT '',
	-- NULL: waiting; 'done' or 'skipped' once processed.
	outcome TEXT CHECK (outcome IN ('done', 'skipped')),
	-- Why it was skipped: a stable reason key (internal/bulk).
	reason  TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
CREATE INDEX bulk_items_waiting ON bulk_items (job_id, seq) WHERE outcome IS NULL;

-- +goose Down
DROP TABLE bulk_items;
DROP TABLE bulk_jobs;
