package activity

import (
	"slices"
	"strings"

	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/spaces"
)

// Sentence says in one sentence, in l, what e records, as viewer may read
// it: "Ana Admin removed Member of Room 4 from wes@example.com's
// invitation". A space administrator's sentence names only the spaces they
// administer; roles elsewhere are counted ("… and 1 role elsewhere"),
// never named, as on the users list.
func Sentence(l *i18n.Locale, e Entry, viewer *spaces.Access) string {
	actor, subject := e.actor(l), e.subject()
	self := e.ActorID != 0 && e.ActorID == e.SubjectID
	id := "activity.sentence." + string(e.Kind)
	kv := []any{"Actor", actor, "Subject", subject}
	roles := func(list []Role) string { return viewer.DescribeIn(l, Grants(list)) }
	d := e.Details
	switch e.Kind {
	case InvitationSent, InvitationRenewed, InvitationAccepted, InvitationRolesRemoved:
		if len(d.Roles) == 0 {
			return l.T(id+"_bare", kv...)
		}
		return l.T(id, append(kv, "Roles", roles(d.Roles))...)
	case InvitationResent, InvitationReminded, InvitationCancelled, InvitationExpired,
		InvitationRenewalRequested, InvitationUndelivered,
		UserCreated, UserDeactivated, UserActivated, UserDeleted, UserResetSent,
		UserPasswordReset, UserPasswordChanged, UserTwoFactorOn:
		return l.T(id, kv...)
	case UserResetAsked:
		if subject == "" {
			kv = append(kv[:2], "Subject", d.Email)
		}
		return l.T(id, kv...)
	case UserEdited:
		if self {
			id += "_self"
		}
		if len(d.Changes) == 0 {
			return l.T(id+"_bare", kv...)
		}
		parts := make([]string, len(d.Changes))
		for i, c := range d.Changes {
			parts[i] = l.T("activity.change", "Field", fieldLabel(l, c.Field), "From", c.From, "To", c.To)
		}
		return l.T(id, append(kv, "Changes", strings.Join(parts, l.T("activity.semicolon")))...)
	case UserRolesChanged:
		var parts []string
		if len(d.Granted) > 0 {
			parts = append(parts, l.T("activity.roles.granted", "Roles", roles(d.Granted)))
		}
		if len(d.Revoked) > 0 {
			parts = append(parts, l.T("activity.roles.revoked", "Roles", roles(d.Revoked)))
		}
		if len(parts) == 0 {
			return l.T(id+"_bare", kv...)
		}
		return l.T(id, append(kv, "Changes", strings.Join(parts, l.T("activity.semicolon")))...)
	case UserTwoFactorOff:
		if self || e.System() {
			return l.T(id+"_self", kv...)
		}
		return l.T(id, kv...)
	case UserSessionsEnded:
		if self {
			id += "_self"
		}
		return l.N(id, d.Count, kv...)
	case UserLanguageChanged, AccountLanguageChanged:
		if self && e.Kind == UserLanguageChanged {
			id += "_self"
		}
		lang := ""
		if n := len(d.Changes); n > 0 {
			lang = languageName(d.Changes[n-1].To)
		}
		if lang == "" {
			return l.T(id+"_bare", kv...)
		}
		return l.T(id, append(kv, "Language", lang)...)
	case SpaceCreated, SpaceDeleted:
		if !visible(d.Space, viewer) {
			return l.T("activity.sentence.space_elsewhere", kv...)
		}
		return l.T(id, append(kv, "Space", d.Space.Name, "Kind", d.Space.Kind.LabelIn(l))...)
	case SpaceRenamed:
		if !visible(d.Space, viewer) {
			return l.T("activity.sentence.space_elsewhere", kv...)
		}
		from, to := "", d.Space.Name
		for _, c := range d.Changes {
			if c.Field == "name" {
				from, to = c.From, c.To
			}
		}
		if from == "" {
			return l.T(id+"_bare", append(kv, "Space", to)...)
		}
		return l.T(id, append(kv, "From", from, "To", to)...)
	case SignIn:
		switch d.SecondFactor {
		case "code", "recovery":
			id += "_" + d.SecondFactor
		}
		return l.T(id, kv...)
	case SignInFailed:
		email := d.Email
		if email == "" {
			email = e.SubjectEmail
		}
		if email == "" {
			email = e.ActorEmail
		}
		if slices.Contains(failReasons, d.Reason) {
			return l.T(id, "Email", email, "Reason", l.T("activity.reason."+d.Reason))
		}
		return l.T(id+"_bare", "Email", email)
	case AccountCreated:
		if d.Space != nil && d.Space.Name != "" {
			return l.T(id, append(kv, "Account", d.Space.Name)...)
		}
		return l.T(id+"_bare", kv...)
	case APITokenCreated, APITokenRevoked:
		if self {
			return l.T(id+"_own", append(kv, "Token", d.Token)...)
		}
		return l.T(id, append(kv, "Token", d.Token)...)
	case AppRegistered, AppSecretRotated, AppSecretRevoked, AppDeleted:
		if d.App == "" {
			return l.T(id+"_bare", kv...)
		}
		return l.T(id, append(kv, "App", d.App)...)
	case BulkFinished:
		// "Ana Admin's bulk action Send new invitation finished: 298 done, 14 skipped"
		return l.T(id, append(kv, "Action", l.T("bulk.action."+d.Action), "Done", d.Count, "Skipped", d.Skipped)...)
	}
	// A kind this build does not know (a newer one, read by an older
	// binary): said plainly, never as its id.
	return l.T("activity.sentence.unknown", kv...)
}

// failReasons are the reasons of a failed sign-in that have words of
// their own (activity.reason.<reason>).
var failReasons = []string{"password", "code", "recovery", "deactivated", "unknown_email"}

// fieldLabel is the name of a field an edit changed, in l.
func fieldLabel(l *i18n.Locale, field string) string {
	switch field {
	case "name", "email", "language":
		return l.T("activity.field." + field)
	}
	return field
}

// languageName is the name of the language whose code is code, as that
// language writes it ("Deutsch"), or "" for none Usher speaks.
func languageName(code string) string {
	if !i18n.Default().Has(code) {
		return ""
	}
	return i18n.Default().Locale(code).Name
}

// visible reports whether viewer may read the name of sp: a space they
// administer, or one under a space they administer (a room since deleted,
// whose unit is theirs).
func visible(sp *Space, viewer *spaces.Access) bool {
	if sp == nil {
		return false
	}
	return viewer.AccountAdmin || viewer.Administers(sp.ID) || (sp.ParentID != 0 && viewer.Administers(sp.ParentID))
}

// actor is who did it, in words: their name, else their address, else the
// system.
func (e Entry) actor(l *i18n.Locale) string {
	switch {
	case e.ActorName != "":
		return e.ActorName
	case e.ActorEmail != "":
		return e.ActorEmail
	}
	return l.T("activity.system")
}

// subject is whom it was done to: their address for an invitation (it is
// addressed to one), else their name, else their address.
func (e Entry) subject() string {
	if strings.HasPrefix(string(e.Kind), "invitation.") && e.SubjectEmail != "" {
		return e.SubjectEmail
	}
	if e.SubjectName != "" {
		return e.SubjectName
	}
	return e.SubjectEmail
}

// Visible is e's details as viewer may read them: roles and spaces outside
// theirs left out (with a renamed space's old and new names). An account
// administrator reads them whole.
func Visible(d Details, viewer *spaces.Access) Details {
	if viewer.AccountAdmin {
		return d
	}
	keep := func(list []Role) []Role {
		var out []Role
		for _, r := range list {
			if viewer.Administers(r.SpaceID) {
				out = append(out, r)
			}
		}
		return out
	}
	d.Roles, d.Granted, d.Revoked = keep(d.Roles), keep(d.Granted), keep(d.Revoked)
	if d.Space != nil && !visible(d.Space, viewer) {
		d.Space = nil
		d.Changes = nil
	}
	return d
}

// SpaceNames are the names of the spaces e concerns that viewer may read,
// each once, in the order the entry holds them.
func SpaceNames(e Entry, viewer *spaces.Access) []string {
	d := Visible(e.Details, viewer)
	var ids []int64
	var names []string
	add := func(id int64, name string) {
		if id != 0 && !slices.Contains(ids, id) {
			ids, names = append(ids, id), append(names, name)
		}
	}
	if d.Space != nil {
		add(d.Space.ID, d.Space.Name)
	}
	for _, list := range [][]Role{d.Roles, d.Granted, d.Revoked} {
		for _, r := range list {
			add(r.SpaceID, r.SpaceName)
		}
	}
	return names
}
