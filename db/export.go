package db

import (
	"context"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/users"
)

// exportBatch is how many users the export reads the details of (roles,
// invitation, delivery, who invited) at once: a few queries per batch
// instead of per user, and never more than a batch in memory.
const exportBatch = 500

// exportQuery reads every user the list's filter f selects, in the list's
// order, with no LIMIT: the WHERE of a page (listFrom), walked along the
// sort order's index, so the rows come out already sorted and SQLite holds
// no sorter of the whole result. The Not delivered filter is read through
// its few users, as List reads it.
func exportQuery(f users.ListFilter) (string, []any) {
	from, args := listFrom(f, filtered(f) && !f.Undelivered)
	return `SELECT ` + prefixed("u.", userCols) + from + listOrder(f), args
}

// Export calls fn with each user the list's filter f selects, every page of
// it, in the list's order, each with what its row shows (grants, pending
// invitation and its delivery, who invited them and when). f's Page and
// PerPage are ignored.
//
// One query reads the users, in one read transaction, so the file is one
// snapshot; the details come in batches of exportBatch from the same
// snapshot while it runs. Memory is a batch, whatever the number of users.
// fn's error stops the export and is returned.
func (s *UserStore) Export(ctx context.Context, f users.ListFilter, fn func(users.Listed) error) error {
	rt, err := s.db.beginRead(ctx)
	if err != nil {
		return errs.Wrap(err, "exporting users")
	}
	defer rt.Rollback()
	// The transaction itself, not the kept statements: the batches' IN
	// lists would fill the cache with shapes of no use to the list.
	tx := rt.Tx
	q, args := exportQuery(f)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return errs.Wrap(err, "exporting users")
	}
	defer rows.Close()

	batch := make([]users.Listed, 0, exportBatch)
	ids := make([]int64, 0, exportBatch)
	flush := func() error {
		if err := fillRows(ctx, tx, batch, ids); err != nil {
			return err
		}
		for i := range batch {
			if err := fn(batch[i]); err != nil {
				return err
			}
			batch[i] = users.Listed{} // let the batch's details go
		}
		batch, ids = batch[:0], ids[:0]
		return nil
	}
	for rows.Next() {
		u, err := scanShown(rows)
		if err != nil {
			return errs.Wrap(err, "exporting users")
		}
		batch = append(batch, users.Listed{User: u})
		ids = append(ids, u.ID)
		if len(batch) == exportBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return errs.Wrap(err, "exporting users")
	}
	return flush()
}
