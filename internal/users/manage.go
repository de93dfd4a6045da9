package users

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/spaces"
)

// Manager is what managing users needs from storage. Each write is one
// transaction; the ones that could remove the last account administrator
// check for that inside it, so two administrators demoting each other at
// the same moment cannot both succeed.
type Manager interface {
	SetName(ctx context.Context, id int64, name string, now time.Time) error
	// SetPassword stores a new hash and ends every session of the user
	// and every reset link of theirs, and enqueues notice (the "password
	// changed" email), in one transaction.
	SetPassword(ctx context.Context, id int64, hash string, notice mail.Outgoing) error
	// SetGrants makes the user's roles within the spaces of scope exactly
	// want; roles outside scope stay as they are.
	SetGrants(ctx context.Context, id int64, scope []int64, want []spaces.Grant, by int64, now time.Time) error
	Deactivate(ctx context.Context, id int64, now time.Time) error
	Activate(ctx context.Context, id int64, now time.Time) error
	// Delete removes the user; their pending invitations end with them.
	Delete(ctx context.Context, id int64, by int64, byName string, now time.Time) error
}

func errLastAdmin(email string) error {
	return errs.T(errs.Conflict, "err.users.last_admin", "Email", email)
}

// ErrLastAdmin is the store's refusal to leave the account without an
// active administrator; the service words it with the user's email.
var ErrLastAdmin = errs.T(errs.Conflict, "err.users.last_admin_store")

// target loads a user actor may manage: account administrators manage
// everyone; space administrators only people whose every role and offer is
// in spaces they administer.
func (s *Service) target(ctx context.Context, access *spaces.Access, id int64) (Listed, error) {
	l, err := s.Row(ctx, access, id)
	if err != nil {
		return l, err
	}
	if !Manages(access, l) {
		return l, errs.T(errs.Forbidden, "err.users.roles_outside", "Email", l.Email)
	}
	return l, nil
}

// Changed is a user after an action on their row: the user as the action
// found them (the banner names them), and their row as the actor's list
// shows it now. When an action is refused, Row is the row as it stands,
// if the user was found at all.
type Changed struct {
	User
	Row *Listed // nil once the user left the actor's list
}

// After is what an action by access on u left: u's row as it is now, or
// none when they left the list (deleted, or out of access's view).
func (s *Service) After(ctx context.Context, access *spaces.Access, u User) (Changed, error) {
	l, err := s.Row(ctx, access, u.ID)
	switch {
	case errs.Is(err, errs.NotFound):
		return Changed{User: u}, nil
	case err != nil:
		return Changed{User: u}, err
	}
	return Changed{User: u, Row: &l}, nil
}

// Unchanged is the row l after an action that changed nothing (l as
// loaded before a refusal; nothing when the user was not found).
func Unchanged(l Listed) Changed {
	if l.ID == 0 {
		return Changed{}
	}
	return Changed{User: l.User, Row: &l}
}

// EditInput is the Edit user form.
type EditInput struct {
	Name string
	// Roles, when ChangeRole is set, are the roles the user should hold in
	// the spaces the editor administers (space id to role; "" for none).
	// Spaces the editor does not administer cannot be named.
	Roles      map[int64]spaces.Role
	ChangeRole bool
}

// Edit changes a user's name and their roles in the spaces the editor
// administers.
func (s *Service) Edit(ctx context.Context, access *spaces.Access, id int64, in EditInput) (Changed, error) {
	l, err := s.target(ctx, access, id)
	if err != nil {
		return Changed{}, err
	}
	name, err := CleanName("name", in.Name, !l.ActivatedAt.IsZero())
	if err != nil {
		return Unchanged(l), err
	}
	if in.ChangeRole {
		if l.ActivatedAt.IsZero() {
			return Unchanged(l), errs.T(errs.Conflict, "err.users.not_joined", "Email", l.Email)
		}
		var want []spaces.Grant
		for sid, role := range in.Roles {
			if !access.Administers(sid) {
				return Unchanged(l), errs.T(errs.Forbidden, "err.users.give_forbidden")
			}
			if role != "" {
				want = append(want, spaces.Grant{SpaceID: sid, Role: role})
			}
		}
		if !access.MayOfferAll(want) {
			return Unchanged(l), errs.T(errs.Forbidden, "err.users.give_forbidden")
		}
		if err := s.manager.SetGrants(ctx, id, access.AdministeredIDs(), want, access.UserID, s.clock.Now()); err != nil {
			return Unchanged(l), lastAdmin(err, l.Email)
		}
	}
	if name != l.Name {
		if err := s.manager.SetName(ctx, id, name, s.clock.Now()); err != nil {
			return Unchanged(l), err
		}
	}
	return s.After(ctx, access, l.User)
}

// Deactivate stops a user from signing in or accepting, and ends their
// sessions at once.
func (s *Service) Deactivate(ctx context.Context, access *spaces.Access, id int64) (Changed, error) {
	l, err := s.target(ctx, access, id)
	if err != nil {
		return Changed{}, err
	}
	if id == access.UserID {
		return Unchanged(l), errs.T(errs.Conflict, "err.users.deactivate_self")
	}
	if !l.DeactivatedAt.IsZero() {
		return Unchanged(l), errs.T(errs.Conflict, "err.users.already_deactivated", "Email", l.Email)
	}
	err = s.manager.Deactivate(ctx, id, s.clock.Now())
	if s.changedMeanwhile(ctx, id, err) {
		err = errs.T(errs.Conflict, "err.users.already_deactivated", "Email", l.Email)
	}
	if err != nil {
		return Unchanged(l), lastAdmin(err, l.Email)
	}
	return s.After(ctx, access, l.User)
}

// Activate restores a deactivated user to the status they had.
func (s *Service) Activate(ctx context.Context, access *spaces.Access, id int64) (Changed, error) {
	l, err := s.target(ctx, access, id)
	if err != nil {
		return Changed{}, err
	}
	if l.DeactivatedAt.IsZero() {
		return Unchanged(l), errs.T(errs.Conflict, "err.users.not_deactivated", "Email", l.Email)
	}
	err = s.manager.Activate(ctx, id, s.clock.Now())
	if s.changedMeanwhile(ctx, id, err) {
		err = errs.T(errs.Conflict, "err.users.not_deactivated", "Email", l.Email)
	}
	if err != nil {
		return Unchanged(l), err
	}
	return s.After(ctx, access, l.User)
}

// changedMeanwhile reports whether the store changed no row although the
// user still exists: another administrator changed the same user a moment
// earlier, so "no such user" would be the wrong answer.
func (s *Service) changedMeanwhile(ctx context.Context, id int64, err error) bool {
	if !errs.Is(err, errs.NotFound) {
		return false
	}
	_, gerr := s.store.ByID(ctx, id)
	return gerr == nil
}

// Delete removes a user for good; a pending invitation stops working.
func (s *Service) Delete(ctx context.Context, access *spaces.Access, actor User, id int64) (Changed, error) {
	l, err := s.target(ctx, access, id)
	if err != nil {
		return Changed{}, err
	}
	if id == access.UserID {
		return Unchanged(l), errs.T(errs.Conflict, "err.users.delete_self")
	}
	if err := s.manager.Delete(ctx, id, actor.ID, actor.DisplayName(), s.clock.Now()); err != nil {
		return Unchanged(l), lastAdmin(err, l.Email)
	}
	return Changed{User: l.User}, nil
}

func lastAdmin(err error, email string) error {
	if err == ErrLastAdmin {
		return errLastAdmin(email)
	}
	return err
}

// ChangePassword sets a new password after checking the current one. Every
// session of the user ends, and every reset link of theirs; the caller
// signs this one in again. They are told by email, which names d.
func (s *Service) ChangePassword(ctx context.Context, u User, current, next string, d Device) (User, error) {
	ok, err := s.hasher.Verify(ctx, current, u.PasswordHash)
	if err != nil {
		return u, err
	}
	if !ok {
		return u, errs.FieldT("current", "err.users.wrong_password")
	}
	if err := auth.CheckNewPassword(next); err != nil {
		var e *errs.Error
		if errors.As(err, &e) {
			e.Field = "new"
		}
		return u, err
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return u, err
	}
	now := s.clock.Now()
	notice, err := s.PasswordChangedNotice(ctx, u, d, now, "password_changed:"+strconv.FormatInt(u.ID, 10)+":"+strconv.FormatInt(now.UnixNano(), 10))
	if err != nil {
		return u, err
	}
	if err := s.manager.SetPassword(ctx, u.ID, hash, notice); err != nil {
		return u, err
	}
	return s.store.ByID(ctx, u.ID)
}

// Device is the browser a change came from, as the email that tells of it
// names it, and the page's language, for a person who chose none.
type Device struct {
	Browser  string // "Firefox"; "" when not known
	System   string // "Linux"; "" when not known
	Language string
}

// PasswordChangedNotice is the email telling u that their password was
// changed at now from d, under the outbox key key.
func (s *Service) PasswordChangedNotice(ctx context.Context, u User, d Device, now time.Time, key string) (mail.Outgoing, error) {
	account, err := s.Account(ctx)
	if err != nil {
		return mail.Outgoing{}, err
	}
	return mail.Outgoing{
		Key:  key,
		Kind: mail.PasswordChanged,
		To:   u.Email,
		Payload: mail.Payload{
			AccountName:  account.Name,
			InviteeName:  u.Name,
			InviteeEmail: u.Email,
			Language:     cmp.Or(u.Language, d.Language, s.DefaultLanguage(ctx)),
			ChangedAt:    now,
			Browser:      d.Browser,
			System:       d.System,
			ForgotURL:    s.baseURL + "/forgot",
		},
	}, nil
}

// CheckPassword checks u's password, as a change of their own sign-in
// asks for it (field "password").
func (s *Service) CheckPassword(ctx context.Context, u User, password string) error {
	ok, err := s.hasher.Verify(ctx, password, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return errs.FieldT("password", "err.users.wrong_password")
	}
	return nil
}

// TwoFactorOffNotice is the email telling u that their two-factor
// sign-in was turned off at now from d: PasswordChangedNotice's shape.
func (s *Service) TwoFactorOffNotice(ctx context.Context, u User, d Device, now time.Time) (mail.Outgoing, error) {
	n, err := s.PasswordChangedNotice(ctx, u, d, now, "two_factor_off:"+strconv.FormatInt(u.ID, 10)+":"+strconv.FormatInt(now.UnixNano(), 10))
	n.Kind = mail.TwoFactorOff
	return n, err
}

// HeldRole is the role l holds in space id, if any.
func HeldRole(l Listed, spaceID int64) (spaces.Grant, bool) {
	for _, g := range l.Grants {
		if g.SpaceID == spaceID {
			return g, true
		}
	}
	return spaces.Grant{}, false
}

// RemoveRole takes away the role user id holds in one space, and only
// there: their roles elsewhere stay, so a space administrator may remove
// someone who also has roles in other spaces. Nobody removes a role above
// their own in that space, nor their own (they would lose what they
// administer), nor the last account administrator's.
func (s *Service) RemoveRole(ctx context.Context, access *spaces.Access, spaceID, id int64) (Changed, spaces.Grant, error) {
	l, err := s.Row(ctx, access, id)
	if err != nil {
		return Changed{}, spaces.Grant{}, err
	}
	g, ok := HeldRole(l, spaceID)
	if !ok || !access.Administers(spaceID) {
		return Unchanged(l), g, errs.T(errs.NotFound, "err.users.no_role_here", "Email", l.Email)
	}
	if !access.MayOffer(spaceID, g.Role) {
		return Unchanged(l), g, errs.T(errs.Forbidden, "err.users.remove_above_own")
	}
	if id == access.UserID {
		return Unchanged(l), g, errs.T(errs.Conflict, "err.users.remove_self")
	}
	if err := s.manager.SetGrants(ctx, id, []int64{spaceID}, nil, access.UserID, s.clock.Now()); err != nil {
		return Unchanged(l), g, lastAdmin(err, l.Email)
	}
	ch, err := s.After(ctx, access, l.User)
	return ch, g, err
}

// ChangeOwnName is a person changing their own name (their home page's
// form): only ever their own, whoever else they administer.
func (s *Service) ChangeOwnName(ctx context.Context, actor User, id int64, name string) (User, error) {
	if id != actor.ID {
		return actor, errs.T(errs.Forbidden, "err.users.own_name_only")
	}
	name, err := CleanName("name", name, true)
	if err != nil {
		return actor, err
	}
	if name != actor.Name {
		if err := s.manager.SetName(ctx, id, name, s.clock.Now()); err != nil {
			return actor, err
		}
	}
	return s.store.ByID(ctx, id)
}
