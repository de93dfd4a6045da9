package users

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
		return []Action{EditUser, DeactivateUser, DeleteUser}
	case Deactivated:
		return []Action{EditUser, ActivateUser, DeleteUser}
	}
	return nil
}
