package users

// LabelID is the catalogue message (internal/i18n) that names the status
// as the users list writes it, for the view to say in its reader's
// language; Label is the same in English.
func (s Status) LabelID() string {
	switch s {
	case Active, Invited, Expired, Deactivated:
		return "users.status." + string(s)
	}
	return string(s)
}
