package browser_test

// Helpers for the third-party page checkers (a11y_test.go): axe-core,
// injected into Chromium, and the Nu HTML Checker, run with the machine's
// Java. Both come from npm, pinned in testdata/tools/package.json.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/usherhq/usher/internal/apitokens"
	"github.com/usherhq/usher/internal/apps"
	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/webhooks"
)

// checkersInstall is the command that installs the pinned checkers. The
// install scripts are skipped: vnu-jar's would download a Java runtime,
// and the machine's Java is the one used.
const checkersInstall = "npm ci --ignore-scripts --prefix web/browser/testdata/tools"

// skipOrFail skips a test whose tools are missing, except in CI, where a
// green run must mean the checkers ran (the same rule as newBrowser's).
func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// checkerFile is the absolute path of a file of an installed checker.
func checkerFile(t *testing.T, rel string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", "tools", "node_modules", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		skipOrFail(t, fmt.Sprintf("the page checkers are not installed (no %s); run: %s", rel, checkersInstall))
	}
	return path
}

// ---- The site the checkers look at ----

// checkSite is a small account with something in every state a page can
// show: users in each status, spaces, links valid, expired, accepted and
// cancelled, and messages in the built-in mailbox (no SMTP configured).
type checkSite struct {
	e         *apptest.Env
	setupPath string // the first-run page, until seed runs

	invited, active, deactivated int64 // user ids
	sales, room                  int64 // space ids
	validLink                    string
	expiredLink                  string
	acceptedLink                 string
	cancelledLink                string
	member                       string // an active non-administrator's email
	joiner                       string // the valid link's invitee
	webhook                      int64  // an endpoint, whose deliveries failed
	app                          int64  // a registered server app
}

// newCheckSite starts Usher with nothing set up; seed fills it.
func newCheckSite(t *testing.T) *checkSite { return newCheckSiteIn(t, "en") }

// newCheckSiteIn is newCheckSite for an account whose default language is
// lang: what its invitations speak, and its pages to a browser that asks
// for no language (as Go's HTTP client does not).
func newCheckSiteIn(t *testing.T, lang string) *checkSite {
	t.Helper()
	e := apptest.New(t, apptest.Options{Env: map[string]string{"USHER_DEFAULT_LANGUAGE": lang}})
	if e.App.SetupToken == "" {
		t.Fatal("a fresh Usher has no setup token")
	}
	return &checkSite{e: e, setupPath: "/setup/" + e.App.SetupToken}
}

// seed sets the account up and fills it, through the services.
func (s *checkSite) seed(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	e := s.e
	admin := e.SetupAdmin(t)
	access := func() *spaces.Access {
		a, err := e.App.Users.Access(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	account, err := e.App.Users.Account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	space := func(kind spaces.Kind, parent int64, name string) spaces.Space {
		sp, err := e.App.Spaces.Create(ctx, access(), kind, parent, name)
		if err != nil {
			t.Fatalf("create %s %s: %v", kind, name, err)
		}
		return sp
	}
	// A token, and an endpoint every event goes to: at a loopback
	// address, which the deliveries refuse when connecting, so its log
	// shows attempts and their error.
	if _, _, err := e.App.APITokens.Create(ctx, admin, access(), apitokens.CreateInput{Name: "HR system", Days: 90, Scopes: apitokens.Scopes}); err != nil {
		t.Fatal(err)
	}
	e.App.Webhooks.AllowPrivate = true
	ep, _, err := e.App.Webhooks.Create(ctx, access(), admin.ID, webhooks.CreateInput{URL: "http://127.0.0.1:9/usher", Events: webhooks.Events})
	e.App.Webhooks.AllowPrivate = false
	if err != nil {
		t.Fatal(err)
	}
	s.webhook = ep.ID
	sales := space(spaces.Unit, account.ID, "Sales")
	app, _, err := e.App.Apps.Register(ctx, access(), apps.Input{Name: "Rota", Kind: apps.Server,
		RedirectURIs: "https://rota.example.com/callback\nhttp://localhost:3000/callback", Visible: []int64{sales.ID}, Required: []int64{sales.ID}})
	if err != nil {
		t.Fatal(err)
	}
	s.app = app.ID
	space(spaces.WaitingArea, sales.ID, "Sales lobby")
	room := space(spaces.MeetingRoom, sales.ID, "Room 4")
	s.sales, s.room = sales.ID, room.ID
	grant := func(sp spaces.Space, r spaces.Role) spaces.Grant {
		return spaces.Grant{SpaceID: sp.ID, SpaceKind: sp.Kind, SpaceName: sp.Name, Role: r}
	}

	invite := func(email, name string, offered ...spaces.Grant) invitations.Invitation {
		t.Helper()
		inv, err := e.App.Invitations.Invite(ctx, invitations.Actor{User: admin, Access: access()}, invitations.InviteInput{Email: email, Name: name, Offered: offered})
		if err != nil {
			t.Fatalf("invite %s: %v", email, err)
		}
		return inv
	}
	path := func(inv invitations.Invitation) string {
		return strings.TrimPrefix(e.App.Invitations.LinkFor(inv.Nonce), e.URL)
	}
	accept := func(inv invitations.Invitation, name string) {
		t.Helper()
		token := path(inv)[len("/invite/"):]
		if _, err := e.App.Invitations.Accept(ctx, token, invitations.AcceptInput{Name: name, Password: password}); err != nil {
			t.Fatalf("accept for %s: %v", inv.Email, err)
		}
	}

	// Expired by the time anyone looks.
	s.expiredLink = path(invite("eli.expired@example.com", "Eli Expired", grant(account, spaces.Member)))
	e.Deliver(t)
	e.Clock.Advance(8 * 24 * time.Hour)

	ivy := invite("ivy.invited@example.com", "Ivy Invited", grant(sales, spaces.Admin), grant(room, spaces.Member))
	s.invited = ivy.UserID

	s.member = "cy.active@example.com"
	cy := invite(s.member, "Cy Active", grant(account, spaces.Member), grant(sales, spaces.Member))
	accept(cy, "Cy Active")
	s.active, s.acceptedLink = cy.UserID, path(cy)

	dan := invite("dan.deactivated@example.com", "Dan Deactivated", grant(room, spaces.Member))
	accept(dan, "Dan Deactivated")
	if _, err := e.App.Users.Deactivate(ctx, access(), dan.UserID); err != nil {
		t.Fatal(err)
	}
	s.deactivated = dan.UserID

	gus := invite("gus.gone@example.com", "", grant(account, spaces.Member))
	if _, err := e.App.Invitations.Cancel(ctx, invitations.Actor{User: admin, Access: access()}, gus.UserID); err != nil {
		t.Fatal(err)
	}
	s.cancelledLink = path(gus)

	s.joiner = "jo.joining@example.com"
	s.validLink = path(invite(s.joiner, "Jo Joining", grant(room, spaces.Member)))
	e.Deliver(t)
	e.Clock.Advance(90 * time.Minute) // "Invited 1 hour ago"
}

// mailID is the newest message in the built-in mailbox.
func (s *checkSite) mailID(t *testing.T) int64 {
	t.Helper()
	msgs, err := s.e.App.Outbox.Recent(context.Background(), 1)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("the mailbox is empty (%v)", err)
	}
	return msgs[0].ID
}

func userPath(id int64, rest string) string {
	return fmt.Sprintf("/settings/users/%d%s", id, rest)
}

func spacePath(id int64, rest string) string {
	return fmt.Sprintf("/settings/spaces/%d%s", id, rest)
}

// ---- axe-core ----

// axeTags are the rule sets run: WCAG 2.0, 2.1 and 2.2 at levels A and AA,
// and axe's best practices.
const axeTags = `['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']`

type axeNode struct {
	Target  []string `json:"target"`
	Summary string   `json:"summary"`
	HTML    string   `json:"html"`
}

type axeViolation struct {
	ID     string    `json:"id"`
	Impact string    `json:"impact"`
	Help   string    `json:"help"`
	Nodes  []axeNode `json:"nodes"`
}

// axeChecker runs axe-core in pages and collects what it finds, so that one
// run lists every violation on every page.
type axeChecker struct {
	t        *testing.T
	src      string // axe.min.js
	checked  []string
	problems []string
}

func newAxeChecker(t *testing.T) *axeChecker {
	t.Helper()
	src, err := os.ReadFile(checkerFile(t, "axe-core/axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	return &axeChecker{t: t, src: string(src)}
}

// check runs axe on what p's page shows now, in the light and the dark
// colour scheme (switched in place, so an open menu or dialog stays open).
func (a *axeChecker) check(p *Person, name string) {
	a.t.Helper()
	for _, scheme := range []string{"light", "dark"} {
		p.media(scheme)
		label := name + " (" + scheme + ")"
		for _, v := range a.run(p, label) {
			a.problems = append(a.problems, formatViolation(label, eval[string](p, `location.pathname`), v))
		}
		a.checked = append(a.checked, label)
	}
	p.media("light")
}

// run injects axe-core (through the DevTools protocol, which the page's
// Content-Security-Policy does not govern) and runs it.
func (a *axeChecker) run(p *Person, label string) []axeViolation {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err != nil {
		p.fail("axe on "+label, err)
	}
	if !loaded {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](a.src)); err != nil {
			p.fail("inject axe-core into "+label, err)
		}
	}
	// The mailbox shows an email in a sandboxed frame that runs no script,
	// so axe cannot reach inside it; the email is not a page of the app.
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {
		runOnly: {type: 'tag', values: `+axeTags+`},
		resultTypes: ['violations'],
		iframes: false,
	}).then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact || '', help: v.help,
		nodes: v.nodes.map(n => ({
			target: n.target.map(s => Array.isArray(s) ? s.join(' >>> ') : String(s)),
			summary: n.failureSummary || '',
			html: n.html,
		})),
	})))`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail("run axe-core on "+label, err)
	}
	return vs
}

// report fails the test with every violation found, or logs what was
// checked.
func (a *axeChecker) report() {
	a.t.Helper()
	if len(a.problems) > 0 {
		a.t.Errorf("axe-core found %d violations (WCAG 2.x A/AA and best practices):\n\n%s", len(a.problems), strings.Join(a.problems, "\n\n"))
		return
	}
	a.t.Logf("axe-core found no violations on %d page states: %s", len(a.checked), strings.Join(a.checked, ", "))
}

func formatViolation(label, path string, v axeViolation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n  %s [%s]: %s", label, path, v.ID, v.Impact, v.Help)
	for i, n := range v.Nodes {
		if i == 6 {
			fmt.Fprintf(&b, "\n    … and %d more", len(v.Nodes)-i)
			break
		}
		summary := strings.ReplaceAll(strings.TrimSpace(n.Summary), "\n", "\n      ")
		html := n.HTML
		if len(html) > 160 {
			html = html[:160] + "…"
		}
		fmt.Fprintf(&b, "\n    %s\n      %s\n      %s", strings.Join(n.Target, " "), html, summary)
	}
	return b.String()
}

// ---- The Nu HTML Checker ----

// htmlPage is one page's HTML, as the server sent it.
type htmlPage struct {
	name string
	body string
}

// htmlCollector fetches pages over HTTP for the Nu HTML Checker.
type htmlCollector struct {
	t         *testing.T
	e         *apptest.Env
	lang      string // the language of the pages being collected
	java, jar string
	pages     []htmlPage
}

// newHTMLCollector finds the checker and Java first, so that a test
// without them skips before doing any work.
func newHTMLCollector(t *testing.T) *htmlCollector {
	t.Helper()
	jar := checkerFile(t, "vnu-jar/build/dist/vnu.jar")
	java, err := exec.LookPath("java")
	if err != nil {
		skipOrFail(t, "the Nu HTML Checker needs Java: apt-get install -y default-jre-headless")
	}
	return &htmlCollector{t: t, java: java, jar: jar}
}

// get fetches a page; want is the status the page is expected to answer.
func (h *htmlCollector) get(name string, c *http.Client, path string, want int) {
	h.t.Helper()
	res := h.e.Get(h.t, c, path)
	h.add(name, path, res, want)
}

// post sends a form and keeps the page it answers (after a redirect).
func (h *htmlCollector) post(name string, c *http.Client, path string, form url.Values, want int) {
	h.t.Helper()
	res := h.e.Post(h.t, c, path, form)
	if res.StatusCode == http.StatusSeeOther {
		loc := res.Header.Get("Location")
		res = h.e.Get(h.t, c, loc)
		path += " → " + loc
	}
	h.add(name, path, res, want)
}

func (h *htmlCollector) add(name, path string, res apptest.Response, want int) {
	h.t.Helper()
	if res.StatusCode != want {
		h.t.Fatalf("%s (%s): status %d, want %d\n%s", name, path, res.StatusCode, want, res.Body)
	}
	if !isDocument(res.Body) {
		h.t.Fatalf("%s (%s) is not a whole HTML document:\n%.300s", name, path, res.Body)
	}
	h.pages = append(h.pages, htmlPage{name: name + " (" + h.lang + ") " + path, body: res.Body})
}

// isDocument tells a whole page from an htmx fragment (a row, a dialog,
// the banner), which is not a document and is not validated as one.
func isDocument(body string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(body)), "<!doctype html>")
}

// addDOM keeps the document p's page holds now, as its script left it (the
// bar with rows ticked, an open dialog): the server sent only where that
// began.
func (h *htmlCollector) addDOM(p *Person, name string) {
	h.t.Helper()
	body := eval[string](p, `"<!DOCTYPE html>\n" + document.documentElement.outerHTML`)
	h.pages = append(h.pages, htmlPage{name: name + " (" + h.lang + ", as the browser holds it) " + p.path(), body: body})
}

type vnuMessage struct {
	Type      string `json:"type"`
	SubType   string `json:"subType"`
	URL       string `json:"url"`
	LastLine  int    `json:"lastLine"`
	FirstCol  int    `json:"firstColumn"`
	LastCol   int    `json:"lastColumn"`
	Message   string `json:"message"`
	Extract   string `json:"extract"`
	HiliteLen int    `json:"hiliteLength"`
}

// validate runs the Nu HTML Checker once over every page collected (a JVM
// start is slow) and fails on every error, naming page, line and message.
func (h *htmlCollector) validate() {
	t := h.t
	t.Helper()
	dir := t.TempDir()
	files := make([]string, len(h.pages))
	names := map[string]string{}
	for i, p := range h.pages {
		files[i] = filepath.Join(dir, fmt.Sprintf("page-%02d.html", i+1))
		if err := os.WriteFile(files[i], []byte(p.body), 0o644); err != nil {
			t.Fatal(err)
		}
		names["file:"+files[i]] = p.name
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The JVM's quick compiler and one-thread collector: a run of a few
	// seconds otherwise spends more CPU optimising the checker than
	// checking. Its less optimised code needs a deeper stack for the
	// checker's schema.
	java := []string{"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss8m", "-jar", h.jar, "--format", "json", "--exit-zero-always"}
	cmd := exec.CommandContext(ctx, h.java, append(java, files...)...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the Nu HTML Checker failed: %v\n%s%s", err, stderr.String(), out.String())
	}
	// The report goes to stderr; stdout too in some versions.
	raw := stderr.Bytes()
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = out.Bytes()
	}
	var report struct {
		Messages []vnuMessage `json:"messages"`
	}
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatalf("the Nu HTML Checker's report is not JSON: %v\n%s", err, raw)
	}
	var errors, warnings []string
	for _, m := range report.Messages {
		name := names[m.URL]
		if name == "" {
			name = m.URL
		}
		line := fmt.Sprintf("%s, line %d: %s", name, m.LastLine, m.Message)
		if m.Extract != "" {
			line += "\n    " + strings.ReplaceAll(strings.TrimSpace(m.Extract), "\n", "↵")
		}
		switch {
		case m.Type == "error" || (m.Type == "non-document-error"):
			errors = append(errors, line)
		case m.SubType == "warning":
			warnings = append(warnings, line)
		}
	}
	sort.Strings(errors)
	if len(warnings) > 0 {
		t.Logf("the Nu HTML Checker's warnings (not failures):\n%s", strings.Join(warnings, "\n"))
	}
	if len(errors) > 0 {
		t.Errorf("the Nu HTML Checker found %d errors in %d pages:\n%s", len(errors), len(h.pages), strings.Join(errors, "\n"))
		return
	}
	t.Logf("the Nu HTML Checker found no errors in %d pages", len(h.pages))
}
