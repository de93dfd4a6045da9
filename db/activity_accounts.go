package db

import (
	"context"
	"database/sql"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/errs"
)

// subjectNow fills e's subject name and email from its SubjectID, as they
// are within tx at this moment. A user gone meanwhile is NotFound.
func subjectNow(ctx context.Context, tx querier, e *activity.Entry) error {
	err := tx.QueryRowContext(ctx, `SELECT name, email FROM users WHERE id = ?`, e.SubjectID).Scan(&e.SubjectName, &e.SubjectEmail)
	if err == sql.ErrNoRows {
		return errs.T(errs.NotFound, "err.users.no_such")
	}
	return errs.Wrap(err, "reading user")
}

// selfActed makes e's subject its actor too: the person did it
// themselves (signing in, a reset link used).
func selfActed(e *activity.Entry) {
	e.ActorID, e.ActorName, e.ActorEmail = e.SubjectID, e.SubjectName, e.SubjectEmail
}
