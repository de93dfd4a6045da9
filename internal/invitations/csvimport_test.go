package invitations_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/dbtest"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// outcomes is each row of a preview as "line:outcome" or "line:the
// mistake's sentence", in file order.
func outcomes(p invitations.ImportPreview) []string {
	en := i18n.Default().Locale("en")
	var out []string
	for _, r := range p.Rows {
		s := fmt.Sprintf("%d:%s", r.Line, r.Outcome)
		if r.Error != nil {
			s = fmt.Sprintf("%d:%s", r.Line, en.T(r.Error.ID, r.Error.Args...))
		}
		out = append(out, s)
	}
	return out
}

func (e *env) preview(t *testing.T, actor invitations.Actor, csv string) invitations.ImportPreview {
	t.Helper()
	p, err := e.svc.PreviewImport(context.Background(), actor, []byte(csv))
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	return p
}

// Each line of a file gets its outcome, or its mistake with its own line
// number: a bad address, an unknown space or role, a role outside the
// importer's spaces (an unknown space to them), a duplicate; lines of the
// same address merge into one offer; known people are said to be known.
func TestImportPreviewLongShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	una := e.user(t, "una@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Admin})
	e.invite(t, "pending@example.com")
	e.invite(t, "elsewhere@example.com", spaces.Grant{SpaceID: e.support, Role: spaces.Member})
	e.clock.Advance(time.Minute)
	csv := "\ufeffEmail;Name;Role;Space;Language\n" +
		"new@example.com;New Person;Member;Sales;de\n" + // 2
		"new@example.com;;Administrator;Room 4;\n" + // 3: merged into line 2
		"not-an-address;;member;Sales;\n" + // 4
		"x@example.com;;member;Support;\n" + // 5: outside Una's spaces
		"y@example.com;;boss;Sales;\n" + // 6
		"new@example.com;;member;Sales;\n" + // 7: Sales again
		"pending@example.com;;member;Sales;\n" + // 8
		"elsewhere@example.com;;member;Sales;\n" + // 9: invited to Support, hidden from Una
		"ada@example.com;;member;Sales;\n" + // 10
		"z@example.com;;member;;\n" + // 11
		";;member;Sales;\n" + // 12
		"w@example.com;;member;Sales;xx\n" // 13
	p := e.preview(t, e.actor(t, una), csv)
	want := []string{
		"2:new",
		"4:“not-an-address” is not an email address.",
		"5:There is no space “Support” that you can invite people to.",
		"6:Unknown role “boss”: use Member or Administrator.",
		"7:This address already has a role in that space on line 2.",
		"8:pending",
		"9:known",
		"10:known",
		"11:No space: say in which space the role is.",
		"12:No email address.",
		"13:Unknown language “xx”: use en or de.",
	}
	if got := outcomes(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("outcomes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	first := p.Rows[0]
	if first.Name != "New Person" || first.Language != "de" || len(first.Offered) != 2 || first.Offered[1].SpaceID != e.room || first.Offered[1].Role != spaces.Admin {
		t.Errorf("line 2 = %+v, want New Person (de) offered Sales and Room 4", first)
	}
	if p.Counts[invitations.ImportNew] != 1 || p.Counts[invitations.ImportPending] != 1 || p.Counts[invitations.ImportKnown] != 2 || p.Counts[invitations.ImportInvalid] != 7 {
		t.Errorf("counts = %v", p.Counts)
	}
}

// A file of roles without a space column gives them in the account
// itself, which an account administrator offers and a space
// administrator does not: she is asked to say the space.
func TestImportPreviewRolesWithoutSpaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	una := e.user(t, "una@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Admin})
	csv := "email,name,role\nbo@example.com,Bo,member\ncy@example.com,Cy,admin\n"
	p := e.preview(t, e.actor(t, e.admin), csv)
	if got := strings.Join(outcomes(p), " "); got != "2:new 3:new" {
		t.Fatalf("outcomes %s, want both new", got)
	}
	for i, want := range []spaces.Role{spaces.Member, spaces.Admin} {
		if o := p.Rows[i].Offered; len(o) != 1 || o[0].SpaceID != e.account || o[0].Role != want {
			t.Errorf("line %d offers %+v, want %s of the account", p.Rows[i].Line, o, want)
		}
	}
	p = e.preview(t, e.actor(t, una), csv)
	want := "2:No space: say in which space the role is. 3:No space: say in which space the role is."
	if got := strings.Join(outcomes(p), " "); got != want {
		t.Errorf("a space administrator's outcomes %s, want %s", got, want)
	}
}

// One column per space, each cell a role or empty.
func TestImportPreviewWideShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	csv := "email,name,Sales,Sales / Room 4,Support\n" +
		"a@example.com,A,member,,admin\n" +
		"b@example.com,B,,,\n" +
		"a@example.com,,member,,\n"
	p := e.preview(t, e.actor(t, e.admin), csv)
	want := []string{"2:new", "3:No role: give them at least one role.", "4:This address is already on line 2."}
	if got := outcomes(p); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("outcomes %q, want %q", got, want)
	}
	if len(p.Rows[0].Offered) != 2 {
		t.Errorf("line 2 offers %v, want Sales and Support", p.Rows[0].Offered)
	}
}

// What spoils a whole file is one clear message.
func TestImportFileMistakes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	actor := e.actor(t, e.admin)
	var b strings.Builder
	b.WriteString("email,role,space\n")
	for i := range invitations.MaxImportRows + 1 {
		fmt.Fprintf(&b, "p%d@example.com,member,Sales\n", i)
	}
	for _, tc := range []struct {
		name, csv, want string
	}{
		{"empty", "", "The file is empty."},
		{"latin-1", "email,role,space\nz\xf6e@example.com,member,Sales\n", "Line 2 is not UTF-8 text. Save the file as “CSV UTF-8” and upload it again."},
		{"no email column", "address,role\nx@example.com,member\n", "The first line must name the columns, one of them “email”."},
		{"unknown space column", "email,Marketing\nx@example.com,member\n", "The column “Marketing” is not a space you can invite people to. Name columns after your spaces, or use the columns “role” and “space”."},
		{"no roles", "email,name\nx@example.com,X\n", "The file has no roles: add the columns “role” and “space”, or one column per space."},
		{"header only", "email,role,space\n", "The file has a header but nobody under it."},
		{"too many", b.String(), "The file has more than 5,000 people. Split it into smaller files."},
	} {
		_, err := e.svc.PreviewImport(context.Background(), actor, []byte(tc.csv))
		if got := errs.Say(context.Background(), err); err == nil || got != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// Someone who administers nothing cannot preview an import.
func TestImportPreviewRefusesMembers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mo := e.user(t, "mo@example.com", spaces.Grant{SpaceID: e.sales, Role: spaces.Member})
	if _, err := e.svc.PreviewImport(context.Background(), e.actor(t, mo), []byte("email,role,space\nx@example.com,member,Sales\n")); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("a member's preview: %v, want Forbidden", err)
	}
}

// BenchmarkImportPreview is the preview of a 5,000-person file (each line
// read, checked and looked up) in an account that already has 5,000
// people, half of them in the file: what an administrator waits for after
// choosing Preview.
func BenchmarkImportPreview(b *testing.B) {
	ctx := context.Background()
	d := dbtest.Open(b, b.TempDir())
	clk := clock.NewFake(t0)
	hasher := auth.NewCheapHasher(2)
	us := users.NewService(db.NewUserStore(d), hasher, clk)
	svc := invitations.NewService(db.NewInvitationStore(d), us, auth.NewLinks(bytes.Repeat([]byte{7}, 32)), hasher, clk, ttl, baseURL, 1_000_000)
	admin, err := us.Setup(ctx, users.SetupInput{AccountName: "Acme", Email: "ada@example.com", Name: "Ada", Password: password})
	if err != nil {
		b.Fatal(err)
	}
	access, err := us.Access(ctx, admin)
	if err != nil {
		b.Fatal(err)
	}
	actor := invitations.Actor{User: admin, Access: access}
	acc, _ := us.Account(ctx)
	for i := 0; i < 5000; i += 50 {
		var emails []string
		for k := i; k < i+50; k++ {
			emails = append(emails, fmt.Sprintf("known%04d@example.com", k))
		}
		if _, err := svc.InviteMany(ctx, actor, emails, "", []spaces.Grant{{SpaceID: acc.ID, Role: spaces.Member}}, ""); err != nil {
			b.Fatal(err)
		}
	}
	var file strings.Builder
	file.WriteString("email,name,role,space\n")
	for i := range 5000 {
		who := "new"
		if i%2 == 0 {
			who = "known"
		}
		fmt.Fprintf(&file, "%s%04d@example.com,Person %d,member,Acme\n", who, i, i)
	}
	data := []byte(file.String())
	b.ResetTimer()
	for b.Loop() {
		p, err := svc.PreviewImport(ctx, actor, data)
		if err != nil || len(p.Rows) != 5000 || p.Counts[invitations.ImportPending] != 2500 {
			b.Fatalf("preview: %v, %v", err, p.Counts)
		}
	}
}

// Whatever bytes a file holds, ParseImport returns rows or a message
// (never a panic, never a row without its line or an outcome), and every
// row it keeps offers only what the importer may offer.
func FuzzParseImport(f *testing.F) {
	tree := []spaces.Space{
		{ID: 1, Kind: spaces.Account, Name: "Acme"},
		{ID: 2, Kind: spaces.Unit, ParentID: 1, Name: "Sales"},
		{ID: 3, Kind: spaces.MeetingRoom, ParentID: 2, Name: "Room 4"},
		{ID: 4, Kind: spaces.Unit, ParentID: 1, Name: "Support"},
	}
	una := spaces.AccessFor(9, []spaces.Grant{{SpaceID: 2, Role: spaces.Admin}}, spaces.NewTree(tree))
	for _, s := range []string{
		"email,role,space\na@example.com,member,Sales\n",
		"email;Sales;Support\na@example.com;admin;member\n",
		"\ufeffemail,name\n\"a@example.com,\"x\n",
		"email,role,space\na@example.com,member,Sales / Room 4\na@example.com,admin,Sales\n",
		"email\n\xff\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := invitations.ParseImport(data, tree, una)
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("a file's mistake is %v, want an Invalid message", err)
			}
			return
		}
		for _, r := range rows {
			if r.Line < 2 {
				t.Fatalf("row at line %d", r.Line)
			}
			if (r.Error == nil) != (r.Outcome != invitations.ImportInvalid) {
				t.Fatalf("line %d: outcome %q with error %v", r.Line, r.Outcome, r.Error)
			}
			if r.Error == nil && !una.MayOfferAll(r.Offered) {
				t.Fatalf("line %d offers %v, outside Una's spaces", r.Line, r.Offered)
			}
		}
	})
}
