package browser_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/usherhq/usher/internal/apptest"
)

var resetLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/reset/[A-Za-z0-9_-]+`)

// Someone who joined forgets their password: they ask on the sign-in
// page, read the email, choose a new password through its link and are
// signed in; the old password no longer works, the new one does. Then
// they turn on two-factor sign-in, sign out, and sign in with a code.
func TestForgotPasswordStory(t *testing.T) {
	t.Parallel()
	e, b, _, link := invitedBo(t, true)
	bob := b.person()
	bob.open(link)
	bob.do("fill the accept form",
		chromedp.Clear(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "Bo Berg"),
		chromedp.SendKeys(chromedp.CSS("#password"), password))
	bob.navigateBy("join", chromedp.Click(button("Join "+apptest.AccountName)))
	bob.waitPath("/")
	bob.navigateBy("sign out", chromedp.Click(button("Sign out")))
	bob.waitPath("/login")

	// Forgot your password?, from the sign-in page.
	bob.navigateBy("follow Forgot your password?", chromedp.Click(chromedp.Search(`//a[normalize-space()="Forgot your password?"]`)))
	bob.waitPath("/forgot")
	bob.do("give the email", chromedp.SendKeys(chromedp.CSS("#email"), bo))
	bob.navigateBy("ask for a link", chromedp.Click(button("Send reset link")))
	if h := bob.h1(); h != "Check your email" {
		t.Fatalf("after asking, the page says %q", h)
	}

	// The email: the reset link, no invitation link.
	mails := delivered(t, e, bo, 2) // the invitation, then the reset link
	m := mails[1]
	if subject := m.Header("Subject"); subject != "Choose a new password for "+apptest.AccountName {
		t.Errorf("the reset email's subject is %q", subject)
	}
	reset := resetLinkRE.FindString(m.Text)
	if reset == "" || apptest.Link(m.Text) != "" {
		t.Fatalf("the email should carry a reset link and no invitation link:\n%s", m.Text)
	}

	// The link: a new password, and Bo is in.
	bob.open(reset)
	if h := bob.h1(); h != "Choose a new password" {
		t.Fatalf("the reset page's heading is %q", h)
	}
	const newPassword = "a completely new passphrase"
	bob.do("choose a new password", chromedp.SendKeys(chromedp.CSS("#password"), newPassword))
	bob.navigateBy("set it", chromedp.Click(button("Set new password")))
	bob.waitBanner("Your new password is set. You were signed out everywhere else.")
	bob.open("/profile")
	if who := bob.text(".whoami"); !strings.Contains(who, "Signed in as Bo Berg") {
		t.Fatalf("after the reset the header says %q", who)
	}

	// The link is spent, and only the new password signs in.
	bob.open(reset)
	if h := bob.h1(); h != "This link no longer works" {
		t.Errorf("the used link's page says %q; want that the link no longer works", h)
	}
	bob.open("/profile")
	bob.navigateBy("sign out", chromedp.Click(button("Sign out")))
	bob.waitPath("/login")
	bob.do("sign in with the old password",
		chromedp.SendKeys(chromedp.CSS("#email"), bo),
		chromedp.SendKeys(chromedp.CSS("#password"), password))
	bob.navigateBy("sign in", chromedp.Click(button("Sign in")))
	if bob.path() != "/login" {
		t.Fatalf("the old password still signs in (at %s)", bob.path())
	}
	bob.signInTo(bo, newPassword, "/")

	// The password-changed email followed.
	changed := delivered(t, e, bo, 3)[2]
	if !strings.Contains(changed.Text, "Chrom") {
		t.Errorf("the password-changed email should name the browser:\n%s", changed.Text)
	}

	// Two-factor sign-in: on, signed out, in again with a code.
	secret := bob.enrolTwoFactor(e)
	bob.navigateBy("sign out", chromedp.Click(button("Sign out")))
	bob.waitPath("/login")
	bob.signInWithCode(e, bo, newPassword, secret, "/")
	if who := bob.text(".whoami"); !strings.Contains(who, "Signed in as Bo Berg") {
		t.Fatalf("after the code the header says %q", who)
	}
}
