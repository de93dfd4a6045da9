package users

import (
	"slices"
	"time"

	"github.com/usherhq/usher/internal/spaces"
)

// Action is something an administrator can do from a row's ••• menu.
type Action string

const (
	CopyLink       Action = "copy_link"
	ResendLink     Action = "resend"
	SendNew        Action = "renew"
	ManageInvite   Action = "manage"
	CancelInvite   Action = "cancel"
	EditUser       Action = "edit"
	DeactivateUser Action = "deactivate"
	ActivateUser   Action = "activate"
	DeleteUser     Action = "delete"
	SendReset      Action = "reset"
)

// ActionsFor is SPEC §2's table: the actions a row offers in each status,
// in menu order. Actions that do not apply are absent.
func ActionsFor(st Status) []Action {
	switch st {
	case Invited:
		return []Action{CopyLink, ResendLink, ManageInvite, CancelInvite, EditUser, DeactivateUser, DeleteUser}
	case Expired:
		return []Action{SendNew, ManageInvite, CancelInvite, EditUser, DeactivateUser, DeleteUser}
	case Active:
		return []Action{EditUser, SendReset, DeactivateUser, DeleteUser}
	case Deactivated:
		return []Action{EditUser, ActivateUser, DeleteUser}
	}
	return nil
}

// invitationActions act on the pending invitation (invitations.Service);
// the others on the user (Service).
var invitationActions = []Action{CopyLink, ResendLink, SendNew, ManageInvite, CancelInvite}

// ActionsOn is the menu of l's row for the administrator with access at
// now: ActionsFor its status, less every action the services refuse
// whoever clicks and whenever, by the same rules they check:
//   - on oneself, Deactivate user, Delete user and Send password reset
//     link (Deactivate, Delete, resets.Send: one's own password is
//     changed on the profile).
//     That is also the last account administrator: an account
//     administrator who is not l is an active one besides l, and a space
//     administrator cannot manage an account administrator at all;
//   - on someone with roles or offers outside a space administrator's
//     spaces, the user's own actions (Manages);
//   - on an invitation offering a role outside them, the invitation's
//     (MayActOnOffer).
//
// What depends on the moment (a resend moments ago, the send budget) stays
// in the menu, and is refused with a sentence that says when to try again.
func ActionsOn(access *spaces.Access, l Listed, now time.Time) []Action {
	manages := Manages(access, l)
	var offered []spaces.Grant
	if l.Invite != nil {
		offered = l.Invite.Offered
	}
	reaches := MayActOnOffer(access, offered)
	var out []Action
	for _, a := range ActionsFor(l.StatusAt(now)) {
		switch {
		case slices.Contains(invitationActions, a):
			if !reaches {
				continue
			}
		case !manages:
			continue
		case (a == DeactivateUser || a == DeleteUser || a == SendReset) && l.ID == access.UserID:
			continue
		}
		out = append(out, a)
	}
	return out
}

// Manages reports whether access may manage l (edit, deactivate, activate,
// delete): account administrators manage everyone; space administrators
// only people whose every role and offer is in spaces they administer.
func Manages(access *spaces.Access, l Listed) bool {
	if access.AccountAdmin {
		return true
	}
	all := append([]spaces.Grant(nil), l.Grants...)
	if l.Invite != nil {
		all = append(all, l.Invite.Offered...)
	}
	return access.MayOfferAll(all)
}

// MayActOnOffer reports whether access reaches an invitation offering
// offered. One with no roles left (cancelled by removing them all) belongs
// to no space, so only account administrators reach it.
func MayActOnOffer(access *spaces.Access, offered []spaces.Grant) bool {
	if len(offered) == 0 {
		return access.AccountAdmin
	}
	return access.MayOfferAll(offered)
}
