package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// InvitationStore implements invitations.Store.
type InvitationStore struct{ db *DB }

// NewInvitationStore returns the invitations store.
func NewInvitationStore(d *DB) *InvitationStore { return &InvitationStore{db: d} }

var _ invitations.Store = (*InvitationStore)(nil)

const invCols = `id, coalesce(user_id, 0), email, coalesce(invited_by, 0), inviter_name, token_nonce, state, created_at, sent_at, expires_at, ended_at, renewal_requested_at, language`

func scanInvitation(r scanner) (invitations.Invitation, error) {
	var i invitations.Invitation
	var created, sent, expires int64
	var ended, renewal sql.NullInt64
	err := r.Scan(&i.ID, &i.UserID, &i.Email, &i.InvitedBy, &i.InviterName, &i.Nonce, &i.State, &created, &sent, &expires, &ended, &renewal, &i.Language)
	i.CreatedAt, i.SentAt, i.ExpiresAt = time.Unix(created, 0).UTC(), time.Unix(sent, 0).UTC(), time.Unix(expires, 0).UTC()
	i.EndedAt, i.RenewalRequestedAt = fromUnix(ended), fromUnix(renewal)
	return i, err
}

// one reads a single invitation and its offered roles.
func oneInvitation(ctx context.Context, q querier, where string, args ...any) (invitations.Invitation, error) {
	inv, err := scanInvitation(q.QueryRowContext(ctx, `SELECT `+invCols+` FROM invitations WHERE `+where, args...))
	if err != nil {
		return inv, notFound(err, "err.invitations.no_such", "reading invitation")
	}
	offered, err := grantsOf(ctx, q, `SELECT r.invitation_id, r.space_id, sp.kind, sp.name, r.role FROM invitation_roles r JOIN spaces sp ON sp.id = r.space_id WHERE r.invitation_id IN `, []int64{inv.ID})
	inv.Offered = offered[inv.ID]
	return inv, err
}

func (s *InvitationStore) ByID(ctx context.Context, id int64) (invitations.Invitation, error) {
	return oneInvitation(ctx, s.db.R, `id = ?`, id)
}

func (s *InvitationStore) PendingFor(ctx context.Context, userID int64) (invitations.Invitation, error) {
	return oneInvitation(ctx, s.db.R, `user_id = ? AND state = 'pending'`, userID)
}

func (s *InvitationStore) ByTokenHash(ctx context.Context, hash []byte) (invitations.Invitation, error) {
	return oneInvitation(ctx, s.db.R, `token_hash = ?`, hash)
}

func (s *InvitationStore) Create(ctx context.Context, cs []invitations.Create, b invitations.Budget, compose invitations.Compose) ([]invitations.Outcome, error) {
	var out []invitations.Outcome
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		out = make([]invitations.Outcome, len(cs))
		var fresh []int
		for i, c := range cs {
			out[i].Email = c.Email
			u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, c.Email))
			switch {
			case err == sql.ErrNoRows:
				fresh = append(fresh, i)
			case err != nil:
				return errs.Wrap(err, "reading user")
			default:
				out[i].Existing = &invitations.Existing{User: u, Status: u.StatusAt(c.Now)}
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		if err := spend(ctx, tx, b, len(fresh), cs[0].Now); err != nil {
			return err
		}
		for _, i := range fresh {
			c := cs[i]
			res, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, created_at, invite_expires_at) VALUES (?, ?, ?, ?)`, c.Email, c.Name, c.Now.Unix(), c.ExpiresAt.Unix())
			if err != nil {
				return errs.Wrap(err, "creating invited user")
			}
			userID, _ := res.LastInsertId()
			if out[i].Invitation, err = insertInvitation(ctx, tx, userID, c, compose); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// spend refuses n more sends by b.Actor at now when they would take the
// sends of the last b.Window past b.Max, saying how long until they fit
// (which they do one day: n is at most b.Max).
// It runs in the sending action's transaction: the single writer
// connection makes count-then-write one step.
func spend(ctx context.Context, tx *sql.Tx, b invitations.Budget, n int, now time.Time) error {
	where := `actor_id = ? AND kind IN (?, ?, ?) AND at > ?`
	args := []any{b.Actor, invitations.Sends[0], invitations.Sends[1], invitations.Sends[2], now.Add(-b.Window).Unix()}
	var used int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM invitation_events WHERE `+where, args...).Scan(&used); err != nil {
		return errs.Wrap(err, "counting sends")
	}
	over := used + n - b.Max
	if over <= 0 {
		return nil
	}
	// The n fit once the over oldest sends have left the window.
	var at int64
	err := tx.QueryRowContext(ctx, `SELECT at FROM invitation_events WHERE `+where+` ORDER BY at LIMIT 1 OFFSET ?`, append(args, over-1)...).Scan(&at)
	if err != nil {
		return errs.Wrap(err, "reading sends")
	}
	return b.Refuse(used, n, time.Unix(at, 0).Add(b.Window).Sub(now))
}

func insertInvitation(ctx context.Context, tx *sql.Tx, userID int64, c invitations.Create, compose invitations.Compose) (invitations.Invitation, error) {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO invitations (user_id, email, invited_by, inviter_name, token_nonce, token_hash, state, created_at, sent_at, expires_at, language)
		VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
		userID, c.Email, c.InvitedBy, c.InviterName, c.Nonce, c.TokenHash, c.Now.Unix(), c.Now.Unix(), c.ExpiresAt.Unix(), c.Language)
	if isUnique(err) {
		return invitations.Invitation{}, errs.T(errs.Conflict, "err.db.already_pending", "Email", c.Email)
	}
	if err != nil {
		return invitations.Invitation{}, errs.Wrap(err, "creating invitation")
	}
	id, _ := res.LastInsertId()
	for _, g := range c.Offered {
		if _, err := tx.ExecContext(ctx, `INSERT INTO invitation_roles (invitation_id, space_id, role) VALUES (?, ?, ?)`, id, g.SpaceID, g.Role); err != nil {
			if isUnique(err) {
				return invitations.Invitation{}, errs.FieldT("roles", "err.db.one_role_per_space")
			}
			return invitations.Invitation{}, errs.Wrap(err, "offering role")
		}
	}
	kind := invitations.EvInvited
	if c.Supersedes != 0 {
		kind = invitations.EvRenewed
	}
	if err := addEvent(ctx, tx, id, c.Now, c.InvitedBy, c.InviterName, kind, ""); err != nil {
		return invitations.Invitation{}, err
	}
	inv, err := oneInvitation(ctx, tx, `id = ?`, id)
	if err != nil {
		return inv, err
	}
	return inv, enqueue(ctx, tx, compose(inv), c.Now)
}

func (s *InvitationStore) Renew(ctx context.Context, c invitations.Create, b invitations.Budget, compose invitations.Compose) (invitations.Invitation, error) {
	var inv invitations.Invitation
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		if err := spend(ctx, tx, b, 1, c.Now); err != nil {
			return err
		}
		var userID int64
		err := tx.QueryRowContext(ctx, `
			UPDATE invitations SET state = 'superseded', ended_at = ?, ended_by = ?
			WHERE id = ? AND state = 'pending' AND expires_at <= ?
			RETURNING user_id`, c.Now.Unix(), c.InvitedBy, c.Supersedes, c.Now.Unix()).Scan(&userID)
		if err == sql.ErrNoRows {
			return errs.T(errs.Conflict, "err.db.invitation_changed", "Email", c.Email)
		}
		if err != nil {
			return errs.Wrap(err, "superseding invitation")
		}
		inv, err = insertInvitation(ctx, tx, userID, c, compose)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invitations SET superseded_by = ? WHERE id = ?`, inv.ID, c.Supersedes); err != nil {
			return errs.Wrap(err, "linking invitations")
		}
		return setUserExpiry(ctx, tx, userID, c.ExpiresAt)
	})
	return inv, err
}

func setUserExpiry(ctx context.Context, tx *sql.Tx, userID int64, expires time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET invite_expires_at = ? WHERE id = ?`, unix(expires), userID)
	return errs.Wrap(err, "updating user expiry")
}

func (s *InvitationStore) Resend(ctx context.Context, id int64, actor users.User, now, notAfter, expires time.Time, b invitations.Budget, msg mail.Outgoing) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		var userID, sent int64
		err := tx.QueryRowContext(ctx, `SELECT user_id, sent_at FROM invitations WHERE id = ? AND state = 'pending' AND expires_at > ?`, id, now.Unix()).Scan(&userID, &sent)
		if err == sql.ErrNoRows {
			return errs.T(errs.Conflict, "err.db.invitation_changed", "Email", msg.To)
		}
		if err != nil {
			return errs.Wrap(err, "reading invitation")
		}
		if sent > notAfter.Unix() {
			return invitations.ErrSentMomentsAgo
		}
		if err := spend(ctx, tx, b, 1, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invitations SET sent_at = ?, reminded_at = CASE WHEN expires_at = ?2 THEN reminded_at END, expires_at = ?2 WHERE id = ?3`, now.Unix(), expires.Unix(), id); err != nil {
			return errs.Wrap(err, "resending")
		}
		if err := setUserExpiry(ctx, tx, userID, expires); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, id, now, actor.ID, actor.DisplayName(), invitations.EvResent, ""); err != nil {
			return err
		}
		return enqueue(ctx, tx, msg, now)
	})
}

func (s *InvitationStore) Cancel(ctx context.Context, id int64, actor users.User, now time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		var userID int64
		err := tx.QueryRowContext(ctx, `UPDATE invitations SET state = 'cancelled', ended_at = ?, ended_by = ? WHERE id = ? AND state = 'pending' RETURNING coalesce(user_id, 0)`,
			now.Unix(), actor.ID, id).Scan(&userID)
		if err == sql.ErrNoRows {
			return errs.T(errs.Conflict, "err.db.invitation_not_pending")
		}
		if err != nil {
			return errs.Wrap(err, "cancelling")
		}
		if err := addEvent(ctx, tx, id, now, actor.ID, actor.DisplayName(), invitations.EvCancelled, ""); err != nil {
			return err
		}
		return endInvitee(ctx, tx, userID)
	})
}

// endInvitee removes a user who never accepted once their invitation ends;
// one who did accept keeps their account, without an expiry.
func endInvitee(ctx context.Context, tx *sql.Tx, userID int64) error {
	if userID == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ? AND activated_at IS NULL`, userID); err != nil {
		return errs.Wrap(err, "removing invitee")
	}
	return setUserExpiry(ctx, tx, userID, time.Time{})
}

func (s *InvitationStore) RemoveRoles(ctx context.Context, id int64, spaceIDs []int64, actor users.User, now time.Time) (bool, error) {
	var cancelled bool
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		inv, err := oneInvitation(ctx, tx, `id = ? AND state = 'pending'`, id)
		if errs.Is(err, errs.NotFound) {
			return errs.T(errs.Conflict, "err.db.invitation_not_pending")
		}
		if err != nil {
			return err
		}
		remove := map[int64]bool{}
		for _, sid := range spaceIDs {
			remove[sid] = true
		}
		left := 0
		var removed []spaces.Grant
		for _, g := range inv.Offered {
			if !remove[g.SpaceID] {
				left++
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM invitation_roles WHERE invitation_id = ? AND space_id = ?`, id, g.SpaceID); err != nil {
				return errs.Wrap(err, "removing role")
			}
			removed = append(removed, g)
			if err := addRoleEvent(ctx, tx, id, now, actor.ID, actor.DisplayName(), invitations.EvRoleRemoved, []spaces.Grant{g}); err != nil {
				return err
			}
		}
		if left > 0 {
			return nil
		}
		cancelled = true
		if _, err := tx.ExecContext(ctx, `UPDATE invitations SET state = 'cancelled', ended_at = ?, ended_by = ? WHERE id = ?`, now.Unix(), actor.ID, id); err != nil {
			return errs.Wrap(err, "cancelling")
		}
		// Its roles are gone by now: the cancellation is about those removed.
		if err := insertEvent(ctx, tx, id, now, actor.ID, actor.DisplayName(), invitations.EvCancelled, "no roles left", nil, removed); err != nil {
			return err
		}
		return endInvitee(ctx, tx, inv.UserID)
	})
	return cancelled, err
}

func (s *InvitationStore) Accept(ctx context.Context, id int64, name, hash, language string, now time.Time, grantable invitations.Grantable) (users.User, error) {
	var u users.User
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var userID, inviterID int64
		err := tx.QueryRowContext(ctx, `
			UPDATE invitations SET state = 'accepted', ended_at = ?
			WHERE id = ? AND state = 'pending' AND expires_at > ? AND user_id IS NOT NULL
			RETURNING user_id, coalesce(invited_by, 0)`, now.Unix(), id, now.Unix()).Scan(&userID, &inviterID)
		if err == sql.ErrNoRows {
			return errs.T(errs.Conflict, "err.db.cannot_accept")
		}
		if err != nil {
			return errs.Wrap(err, "accepting")
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE users SET name = ?, password_hash = ?, activated_at = ?, invite_expires_at = NULL, session_version = session_version + 1, language = ?
			WHERE id = ? AND deactivated_at IS NULL AND activated_at IS NULL`, name, hash, now.Unix(), language, userID)
		if err != nil {
			return errs.Wrap(err, "activating user")
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.T(errs.Conflict, "err.db.cannot_accept")
		}
		// What the invitation offers and what its inviter may grant, read
		// here: a role removed since the page was read is not granted, and
		// an inviter demoted or deactivated a moment ago grants less, or
		// nothing. The writer's lock holds both still until the commit.
		a, err := accepting(ctx, tx, id, inviterID)
		if err != nil {
			return err
		}
		if len(a.Offered) == 0 {
			return errs.T(errs.Conflict, "err.db.no_roles_left")
		}
		given, err := grantable(a)
		if err != nil {
			return err
		}
		for _, g := range given {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO role_grants (user_id, space_id, role, granted_at, granted_by) VALUES (?, ?, ?, ?, nullif(?, 0))
				ON CONFLICT (user_id, space_id) DO UPDATE SET role = excluded.role`, userID, g.SpaceID, g.Role, now.Unix(), inviterID); err != nil {
				return errs.Wrap(err, "granting role")
			}
		}
		if err := addRoleEvent(ctx, tx, id, now, userID, name, invitations.EvAccepted, given); err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, userID))
		return errs.Wrap(err, "reading user")
	})
	return u, err
}

// accepting reads, in the accepting transaction, what invitation id offers
// and who its inviter is, with their grants and the spaces they apply in.
func accepting(ctx context.Context, tx *sql.Tx, id, inviterID int64) (invitations.Accepting, error) {
	var a invitations.Accepting
	offered, err := grantsOf(ctx, tx, `SELECT r.invitation_id, r.space_id, sp.kind, sp.name, r.role FROM invitation_roles r JOIN spaces sp ON sp.id = r.space_id WHERE r.invitation_id IN `, []int64{id})
	if err != nil {
		return a, err
	}
	a.Offered = offered[id]
	if inviterID == 0 {
		return a, nil // the inviter was deleted
	}
	a.Inviter, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, inviterID))
	if err != nil {
		return a, errs.Wrap(err, "reading inviter")
	}
	if a.InviterGrants, err = userGrants(ctx, tx, inviterID); err != nil {
		return a, err
	}
	a.Spaces, err = allSpaces(ctx, tx)
	return a, err
}

func (s *InvitationStore) RequestRenewal(ctx context.Context, id int64, now time.Time, msg mail.Outgoing) (bool, error) {
	var asked bool
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE invitations SET renewal_requested_at = ? WHERE id = ? AND state = 'pending' AND renewal_requested_at IS NULL`, now.Unix(), id)
		if err != nil {
			return errs.Wrap(err, "requesting renewal")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		asked = true
		if err := addEvent(ctx, tx, id, now, 0, "", invitations.EvRenewalRequested, ""); err != nil {
			return err
		}
		if msg.To == "" {
			return nil // the inviter is gone: the row still shows the request
		}
		return enqueue(ctx, tx, msg, now)
	})
	return asked, err
}

func (s *InvitationStore) Events(ctx context.Context, id int64) ([]invitations.Event, error) {
	return s.events(ctx, `WHERE invitation_id = ?`, id)
}

func (s *InvitationStore) UserEvents(ctx context.Context, userID int64) ([]invitations.Event, error) {
	return s.events(ctx, `WHERE invitation_id IN (SELECT id FROM invitations WHERE user_id = ?)`, userID)
}

func (s *InvitationStore) events(ctx context.Context, where string, arg any) ([]invitations.Event, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT at, actor_name, kind, detail, grants FROM invitation_events `+where+` ORDER BY id`, arg)
	if err != nil {
		return nil, errs.Wrap(err, "reading history")
	}
	defer rows.Close()
	var out []invitations.Event
	for rows.Next() {
		var e invitations.Event
		var at int64
		var grants sql.NullString
		if err := rows.Scan(&at, &e.ActorName, &e.Kind, &e.Detail, &grants); err != nil {
			return nil, errs.Wrap(err, "reading history")
		}
		e.At = time.Unix(at, 0).UTC()
		if grants.Valid {
			if e.Grants, err = decodeEventGrants(grants.String); err != nil {
				return nil, err
			}
		}
		out = append(out, e)
	}
	return out, errs.Wrap(rows.Err(), "reading history")
}

func addEvent(ctx context.Context, tx querier, invID int64, at time.Time, actorID int64, actorName string, kind invitations.EventKind, detail string) error {
	return insertEvent(ctx, tx, invID, at, actorID, actorName, kind, detail, nil, nil)
}

// addRoleEvent records an event about roles: they are kept as roles, not
// words, so that the history can name each space only to those who may
// see it.
func addRoleEvent(ctx context.Context, tx querier, invID int64, at time.Time, actorID int64, actorName string, kind invitations.EventKind, grants []spaces.Grant) error {
	if grants == nil {
		grants = []spaces.Grant{} // kept as roles, even none
	}
	return insertEvent(ctx, tx, invID, at, actorID, actorName, kind, "", grants, grants)
}

// insertEvent writes a line of an invitation's history and, for what an
// administrator would look for, its row in the activity log. grants are
// the roles the line itself keeps; about the roles the activity row is
// about (nil: those the invitation offers now).
func insertEvent(ctx context.Context, tx querier, invID int64, at time.Time, actorID int64, actorName string, kind invitations.EventKind, detail string, grants, about []spaces.Grant) error {
	if err := insertHistory(ctx, tx, invID, at, actorID, actorName, kind, detail, grants); err != nil {
		return err
	}
	return logInvitation(ctx, tx, invID, at, actorID, actorName, kind, detail, about)
}

// insertHistory writes a line of an invitation's history only.
func insertHistory(ctx context.Context, tx querier, invID int64, at time.Time, actorID int64, actorName string, kind invitations.EventKind, detail string, grants []spaces.Grant) error {
	var actor any
	if actorID != 0 {
		actor = actorID
	}
	var enc any
	if grants != nil {
		var err error
		if enc, err = encodeEventGrants(grants); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO invitation_events (invitation_id, at, actor_id, actor_name, kind, detail, grants) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		invID, at.Unix(), actor, actorName, kind, detail, enc)
	return errs.Wrap(err, "recording history")
}

// invitationActivity is the activity log's kind for each kind of history
// line it records; the others (an email delivered, captured in the
// mailbox; a reset sent, which has its own) stay in the history only.
var invitationActivity = map[invitations.EventKind]activity.Kind{
	invitations.EvInvited:          activity.InvitationSent,
	invitations.EvResent:           activity.InvitationResent,
	invitations.EvReminded:         activity.InvitationReminded,
	invitations.EvRenewed:          activity.InvitationRenewed,
	invitations.EvCancelled:        activity.InvitationCancelled,
	invitations.EvAccepted:         activity.InvitationAccepted,
	invitations.EvRoleRemoved:      activity.InvitationRolesRemoved,
	invitations.EvRenewalRequested: activity.InvitationRenewalRequested,
	invitations.EvDeliveryFailed:   activity.InvitationUndelivered,
	invitations.EvExpired:          activity.InvitationExpired,
}

// logInvitation writes the activity row of an event on invitation invID,
// whose invitee is its subject.
func logInvitation(ctx context.Context, tx querier, invID int64, at time.Time, actorID int64, actorName string, ev invitations.EventKind, detail string, about []spaces.Grant) error {
	kind, ok := invitationActivity[ev]
	if !ok {
		return nil
	}
	var userID, expires sql.NullInt64
	var email, name string
	err := tx.QueryRowContext(ctx, `SELECT i.user_id, i.email, coalesce(u.name, ''), i.expires_at FROM invitations i LEFT JOIN users u ON u.id = i.user_id WHERE i.id = ?`, invID).
		Scan(&userID, &email, &name, &expires)
	if err != nil {
		return errs.Wrap(err, "recording activity")
	}
	if about == nil {
		offered, err := grantsOf(ctx, tx, `SELECT r.invitation_id, r.space_id, sp.kind, sp.name, r.role FROM invitation_roles r JOIN spaces sp ON sp.id = r.space_id WHERE r.invitation_id IN `, []int64{invID})
		if err != nil {
			return err
		}
		about = offered[invID]
	}
	e := activity.Entry{
		At: at, Kind: kind, ActorID: actorID, ActorName: actorName,
		SubjectID: userID.Int64, SubjectName: name, SubjectEmail: email,
		Details: activity.Details{InvitationID: invID, Roles: activity.RolesOf(about), Reason: detail},
	}
	switch kind {
	case activity.InvitationSent, activity.InvitationResent, activity.InvitationReminded, activity.InvitationRenewed:
		t := time.Unix(expires.Int64, 0).UTC()
		e.Details.Expires = &t
	case activity.InvitationAccepted:
		e.ActorEmail = email // the invitee, who is not signed in yet
	}
	return record(ctx, tx, e)
}

// eventGrant is one role as an invitation's history keeps it (the grants
// column, migration 0006): the space's name as it was at the time.
type eventGrant struct {
	SpaceID int64       `json:"space_id"`
	Kind    spaces.Kind `json:"kind"`
	Name    string      `json:"name"`
	Role    spaces.Role `json:"role"`
}

// encodeEventGrants is the grants column of a history event about grants;
// the demo store writes it too.
func encodeEventGrants(grants []spaces.Grant) (string, error) {
	out := make([]eventGrant, len(grants))
	for i, g := range grants {
		out[i] = eventGrant{SpaceID: g.SpaceID, Kind: g.SpaceKind, Name: g.SpaceName, Role: g.Role}
	}
	b, err := json.Marshal(out)
	return string(b), errs.Wrap(err, "recording history")
}

func decodeEventGrants(s string) ([]spaces.Grant, error) {
	var in []eventGrant
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, errs.Wrap(err, "reading history")
	}
	out := make([]spaces.Grant, len(in))
	for i, g := range in {
		out[i] = spaces.Grant{SpaceID: g.SpaceID, SpaceKind: g.Kind, SpaceName: g.Name, Role: g.Role}
	}
	return out, nil
}

// enqueue writes msg to the outbox in the caller's transaction. A key seen
// before means the same action already enqueued it: nothing is added.
func enqueue(ctx context.Context, tx querier, msg mail.Outgoing, now time.Time) error {
	payload, err := json.Marshal(msg.Payload)
	if err != nil {
		return errs.Wrap(err, "encoding message")
	}
	var inv, reset any
	if msg.InvitationID != 0 {
		inv = msg.InvitationID
	}
	if msg.ResetID != 0 {
		reset = msg.ResetID
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO outbox (idempotency_key, kind, recipient, subject, invitation_id, reset_id, payload, state, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)
		ON CONFLICT (idempotency_key) DO NOTHING`,
		msg.Key, msg.Kind, msg.To, mail.Subject(msg.Kind, msg.Payload), inv, reset, string(payload), now.Unix(), now.Unix())
	return errs.Wrap(err, "queueing email")
}
