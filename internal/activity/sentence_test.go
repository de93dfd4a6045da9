package activity

import (
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/spaces"
)

// The account of these tests:
//
//	Acme (account, 1)
//	├── Sales (unit, 2)        Una: Administrator
//	│   └── Room 4 (room, 3)
//	└── Support (unit, 4)
func testTree() *spaces.Tree {
	return spaces.NewTree([]spaces.Space{
		{ID: 1, Kind: spaces.Account, Name: "Acme"},
		{ID: 2, Kind: spaces.Unit, ParentID: 1, Name: "Sales"},
		{ID: 3, Kind: spaces.MeetingRoom, ParentID: 2, Name: "Room 4"},
		{ID: 4, Kind: spaces.Unit, ParentID: 1, Name: "Support"},
	})
}

var (
	room4   = Role{SpaceID: 3, SpaceKind: spaces.MeetingRoom, SpaceName: "Room 4", Role: spaces.Member}
	sales   = Role{SpaceID: 2, SpaceKind: spaces.Unit, SpaceName: "Sales", Role: spaces.Admin}
	support = Role{SpaceID: 4, SpaceKind: spaces.Unit, SpaceName: "Support", Role: spaces.Admin}
)

// ada is the account administrator who does most things here; bo the
// person they are done to; wes an invitee.
func by(k Kind, d Details) Entry {
	return Entry{Kind: k, ActorID: 1, ActorName: "Ada Admin", ActorEmail: "ada@example.com", SubjectID: 2, SubjectName: "Bo", SubjectEmail: "bo@example.com", Details: d}
}

func invitee(k Kind, d Details) Entry {
	e := by(k, d)
	e.SubjectID, e.SubjectName, e.SubjectEmail = 3, "", "wes@example.com"
	return e
}

func system(e Entry) Entry { e.ActorID, e.ActorName, e.ActorEmail = 0, "", ""; return e }

func self(e Entry) Entry {
	e.ActorID, e.ActorName, e.ActorEmail = e.SubjectID, e.SubjectName, e.SubjectEmail
	return e
}

// Every kind, in both languages, as the account administrator reads it:
// one sentence each, no id or placeholder left in it.
func TestSentenceOfEveryKind(t *testing.T) {
	t.Parallel()
	admin := spaces.AccessFor(1, []spaces.Grant{{SpaceID: 1, SpaceKind: spaces.Account, Role: spaces.Admin}}, testTree())
	renamed := &Space{ID: 2, Kind: spaces.Unit, Name: "Sales EMEA", ParentID: 1}
	tests := []struct {
		e      Entry
		en, de string
	}{
		{invitee(InvitationSent, Details{Roles: []Role{room4}}),
			"Ada Admin invited wes@example.com as Member of Room 4",
			"Ada Admin hat wes@example.com als Mitglied von Room 4 eingeladen"},
		{invitee(InvitationResent, Details{Roles: []Role{room4}}),
			"Ada Admin resent the invitation link to wes@example.com (same link)",
			"Ada Admin hat den Einladungslink erneut an wes@example.com gesendet (derselbe Link)"},
		{system(invitee(InvitationReminded, Details{})),
			"System: the invitation link was sent to wes@example.com again before it expires (same link)",
			"System: Der Einladungslink wurde vor dem Ablauf erneut an wes@example.com gesendet (derselbe Link)"},
		{invitee(InvitationRenewed, Details{Roles: []Role{room4, sales}}),
			"Ada Admin sent a new invitation to wes@example.com as Member of Room 4, Administrator of Sales (new link)",
			"Ada Admin hat wes@example.com eine neue Einladung als Mitglied von Room 4, Administrator von Sales gesendet (neuer Link)"},
		{invitee(InvitationRolesRemoved, Details{Roles: []Role{room4}}),
			"Ada Admin removed Member of Room 4 from wes@example.com's invitation",
			"Ada Admin hat Mitglied von Room 4 aus der Einladung für wes@example.com entfernt"},
		{invitee(InvitationCancelled, Details{Reason: "no roles left"}),
			"Ada Admin cancelled the invitation for wes@example.com",
			"Ada Admin hat die Einladung für wes@example.com zurückgezogen"},
		{system(invitee(InvitationExpired, Details{})),
			"System: the invitation for wes@example.com expired",
			"System: Die Einladung für wes@example.com ist abgelaufen"},
		{self(invitee(InvitationAccepted, Details{Roles: []Role{room4}})),
			"wes@example.com accepted the invitation as Member of Room 4",
			"wes@example.com hat die Einladung als Mitglied von Room 4 angenommen"},
		{system(invitee(InvitationRenewalRequested, Details{})),
			"wes@example.com asked for a new invitation",
			"wes@example.com hat um eine neue Einladung gebeten"},
		{system(invitee(InvitationUndelivered, Details{Reason: "550 no such mailbox"})),
			"System: the invitation email to wes@example.com could not be delivered",
			"System: Die Einladungs-E-Mail an wes@example.com konnte nicht zugestellt werden"},
		{by(UserCreated, Details{}),
			"Ada Admin created the user Bo",
			"Ada Admin hat den Benutzer Bo angelegt"},
		{by(UserEdited, Details{Changes: []Change{{Field: "name", From: "Bo", To: "Bo Brown"}}}),
			"Ada Admin changed Bo's name from “Bo” to “Bo Brown”",
			"Ada Admin hat Bo geändert: Name von „Bo“ in „Bo Brown“"},
		{by(UserRolesChanged, Details{Granted: []Role{room4}, Revoked: []Role{sales}}),
			"Ada Admin changed Bo's roles: granted Member of Room 4; removed Administrator of Sales",
			"Ada Admin hat die Rollen von Bo geändert: Mitglied von Room 4 erteilt; Administrator von Sales entzogen"},
		{by(UserDeactivated, Details{}), "Ada Admin deactivated Bo", "Ada Admin hat Bo deaktiviert"},
		{by(UserActivated, Details{}), "Ada Admin activated Bo", "Ada Admin hat Bo aktiviert"},
		{by(UserDeleted, Details{}), "Ada Admin deleted the user Bo", "Ada Admin hat den Benutzer Bo gelöscht"},
		{by(UserResetSent, Details{}),
			"Ada Admin sent Bo a password reset link",
			"Ada Admin hat Bo einen Link zum Zurücksetzen des Passworts gesendet"},
		{system(by(UserResetAsked, Details{Email: "bo@example.com"})),
			"Bo asked for a password reset link (Forgot password)",
			"Bo hat einen Link zum Zurücksetzen des Passworts angefordert (Passwort vergessen)"},
		{self(by(UserPasswordReset, Details{})),
			"Bo set a new password with a reset link",
			"Bo hat mit einem Link zum Zurücksetzen ein neues Passwort festgelegt"},
		{self(by(UserPasswordChanged, Details{})), "Bo changed their password", "Bo hat das eigene Passwort geändert"},
		{self(by(UserTwoFactorOn, Details{})), "Bo turned on two-factor sign-in", "Bo hat die Zwei-Faktor-Anmeldung eingeschaltet"},
		{by(UserTwoFactorOff, Details{}),
			"Ada Admin turned off two-factor sign-in for Bo",
			"Ada Admin hat die Zwei-Faktor-Anmeldung für Bo ausgeschaltet"},
		{by(UserSessionsEnded, Details{Count: 3}), "Ada Admin ended 3 sessions of Bo", "Ada Admin hat 3 Sitzungen von Bo beendet"},
		{self(by(UserLanguageChanged, Details{Changes: []Change{{Field: "language", From: "en", To: "de"}}})),
			"Bo set their language to Deutsch",
			"Bo hat die eigene Sprache auf Deutsch gestellt"},
		{by(SpaceCreated, Details{Space: &Space{ID: 4, Kind: spaces.Unit, Name: "Support", ParentID: 1}}),
			"Ada Admin created the space Support (Organisational unit)",
			"Ada Admin hat den Bereich Support angelegt (Organisationseinheit)"},
		{by(SpaceRenamed, Details{Space: renamed, Changes: []Change{{Field: "name", From: "Sales", To: "Sales EMEA"}}}),
			"Ada Admin renamed the space Sales to Sales EMEA",
			"Ada Admin hat den Bereich Sales in Sales EMEA umbenannt"},
		{by(SpaceDeleted, Details{Space: &Space{ID: 3, Kind: spaces.MeetingRoom, Name: "Room 4", ParentID: 2}, Count: 2}),
			"Ada Admin deleted the space Room 4 (Meeting room)",
			"Ada Admin hat den Bereich Room 4 gelöscht (Besprechungsraum)"},
		{self(by(SignIn, Details{Device: "Firefox on Linux", SecondFactor: "code"})),
			"Bo signed in with a two-factor code",
			"Bo hat sich mit einem Zwei-Faktor-Code angemeldet"},
		{Entry{Kind: SignInFailed, Details: Details{Email: "ana@example.com", Reason: "password"}},
			"Failed sign-in for ana@example.com (wrong password)",
			"Fehlgeschlagene Anmeldung für ana@example.com (falsches Passwort)"},
		{self(by(AccountCreated, Details{Space: &Space{ID: 1, Kind: spaces.Account, Name: "Acme"}})),
			"Bo set up the account Acme",
			"Bo hat das Konto Acme eingerichtet"},
		{by(AccountLanguageChanged, Details{Changes: []Change{{Field: "language", From: "en", To: "de"}}}),
			"Ada Admin set the account's default language to Deutsch",
			"Ada Admin hat die Standardsprache des Kontos auf Deutsch gestellt"},
		{by(APITokenCreated, Details{Token: "HR system", Scopes: []string{"users:read"}}),
			"Ada Admin created the API token “HR system” for Bo",
			"Ada Admin hat das API-Token „HR system“ für Bo erstellt"},
		{self(by(APITokenRevoked, Details{Token: "HR system"})),
			"Bo revoked their API token “HR system”",
			"Bo hat das eigene API-Token „HR system“ widerrufen"},
		{by(AppRegistered, Details{App: "Rota", ClientID: "abc"}), "Ada Admin registered the app Rota", "Ada Admin hat die App Rota registriert"},
		{by(AppSecretRotated, Details{App: "Rota"}), "Ada Admin gave the app Rota a new client secret", "Ada Admin hat der App Rota ein neues Client-Geheimnis gegeben"},
		{by(AppSecretRevoked, Details{App: "Rota"}), "Ada Admin revoked the client secret of the app Rota", "Ada Admin hat das Client-Geheimnis der App Rota widerrufen"},
		{by(AppDeleted, Details{App: "Rota"}), "Ada Admin deleted the app Rota", "Ada Admin hat die App Rota gelöscht"},
		{Entry{Kind: BulkFinished, ActorID: 1, ActorName: "Ada Admin", Details: Details{Action: "renew", Count: 298, Skipped: 14}},
			"Ada Admin's bulk action “Send new invitation” finished: 298 done, 14 skipped",
			"Sammelaktion „Neue Einladung senden“ von Ada Admin beendet: 298 erledigt, 14 übersprungen"},
	}
	seen := map[Kind]bool{}
	en, de := i18n.Default().Locale("en"), i18n.Default().Locale("de")
	for _, tc := range tests {
		seen[tc.e.Kind] = true
		for _, lang := range []struct {
			l    *i18n.Locale
			want string
		}{{en, tc.en}, {de, tc.de}} {
			if got := Sentence(lang.l, tc.e, admin); got != lang.want {
				t.Errorf("%s in %s:\n got %q\nwant %q", tc.e.Kind, lang.l.Code, got, lang.want)
			}
		}
	}
	for _, k := range Kinds {
		if !seen[k] {
			t.Errorf("kind %s has no case in this test", k)
		}
	}
}

// Every kind has its sentence in both languages in every variant the
// details call for: no kind, bare or not, done by someone or the system,
// falls through to an id, leaves a placeholder empty, or reads the same in
// German as in English.
func TestNoKindFallsThrough(t *testing.T) {
	t.Parallel()
	admin := spaces.AccessFor(1, []spaces.Grant{{SpaceID: 1, SpaceKind: spaces.Account, Role: spaces.Admin}}, testTree())
	full := Details{
		Roles: []Role{room4}, Granted: []Role{room4}, Revoked: []Role{sales},
		Space:   &Space{ID: 3, Kind: spaces.MeetingRoom, Name: "Room 4", ParentID: 2},
		Changes: []Change{{Field: "name", From: "Old", To: "New"}, {Field: "language", From: "en", To: "de"}},
		Email:   "x@example.com", Reason: "code", Count: 2, SecondFactor: "recovery",
	}
	en, de := i18n.Default().Locale("en"), i18n.Default().Locale("de")
	for _, k := range Kinds {
		for _, d := range []Details{full, {}} {
			for _, e := range []Entry{by(k, d), system(by(k, d)), self(by(k, d))} {
				got := Sentence(en, e, admin)
				if strings.Contains(got, "activity.") || strings.Contains(got, string(k)) || strings.Contains(got, "{{") {
					t.Errorf("%s (%+v): %q", k, e, got)
				}
				if strings.Contains(got, "  ") || strings.HasSuffix(got, " ") || strings.Contains(got, "()") || strings.Contains(got, " as ,") {
					t.Errorf("%s (%+v): a placeholder left empty: %q", k, e, got)
				}
				if g := Sentence(de, e, admin); g == got || strings.Contains(g, "activity.") {
					t.Errorf("%s in German: %q (English %q)", k, g, got)
				}
			}
		}
	}
	if got := Sentence(en, by("webhook.sent", Details{}), admin); got != "Ada Admin did something this version of Usher cannot describe" {
		t.Errorf("an unknown kind: %q", got)
	}
}

// A space administrator's sentences name only their spaces: roles
// elsewhere are counted, a space elsewhere is said to be one, and the
// details and space names they read leave the others out.
func TestSentenceForASpaceAdministrator(t *testing.T) {
	t.Parallel()
	una := spaces.AccessFor(5, []spaces.Grant{{SpaceID: 2, SpaceKind: spaces.Unit, Role: spaces.Admin}}, testTree())
	en, de := i18n.Default().Locale("en"), i18n.Default().Locale("de")
	tests := []struct {
		e      Entry
		en, de string
	}{
		{by(UserRolesChanged, Details{Granted: []Role{room4}, Revoked: []Role{support}}),
			"Ada Admin changed Bo's roles: granted Member of Room 4; removed 1 role elsewhere",
			"Ada Admin hat die Rollen von Bo geändert: Mitglied von Room 4 erteilt; 1 Rolle anderswo entzogen"},
		{invitee(InvitationSent, Details{Roles: []Role{room4, support}}),
			"Ada Admin invited wes@example.com as Member of Room 4 and 1 role elsewhere",
			"Ada Admin hat wes@example.com als Mitglied von Room 4 und 1 Rolle anderswo eingeladen"},
		{by(SpaceRenamed, Details{Space: &Space{ID: 4, Kind: spaces.Unit, Name: "Help", ParentID: 1}, Changes: []Change{{Field: "name", From: "Support", To: "Help"}}}),
			"Ada Admin changed a space elsewhere",
			"Ada Admin hat einen Bereich anderswo geändert"},
		// A room of Una's unit, deleted: no longer in the tree, named all
		// the same, by its unit.
		{by(SpaceDeleted, Details{Space: &Space{ID: 9, Kind: spaces.MeetingRoom, Name: "Room 9", ParentID: 2}}),
			"Ada Admin deleted the space Room 9 (Meeting room)",
			"Ada Admin hat den Bereich Room 9 gelöscht (Besprechungsraum)"},
	}
	for _, tc := range tests {
		if got := Sentence(en, tc.e, una); got != tc.en {
			t.Errorf("%s:\n got %q\nwant %q", tc.e.Kind, got, tc.en)
		}
		if got := Sentence(de, tc.e, una); got != tc.de {
			t.Errorf("%s in German:\n got %q\nwant %q", tc.e.Kind, got, tc.de)
		}
		for _, name := range []string{"Support", "Help"} {
			if d := Visible(tc.e.Details, una); strings.Contains(strings.Join(SpaceNames(Entry{Details: d}, una), ","), name) || (d.Space != nil && d.Space.Name == name) {
				t.Errorf("%s: Una's details name %s: %+v", tc.e.Kind, name, d)
			}
		}
	}
	e := by(UserRolesChanged, Details{Granted: []Role{room4}, Revoked: []Role{support, sales}})
	if got, want := strings.Join(SpaceNames(e, una), ", "), "Room 4, Sales"; got != want {
		t.Errorf("Una's space names %q, want %q", got, want)
	}
	admin := spaces.AccessFor(1, []spaces.Grant{{SpaceID: 1, SpaceKind: spaces.Account, Role: spaces.Admin}}, testTree())
	if got, want := strings.Join(SpaceNames(e, admin), ", "), "Room 4, Support, Sales"; got != want {
		t.Errorf("the account administrator's space names %q, want %q", got, want)
	}
}
