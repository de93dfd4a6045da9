package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/smtptest"
	"github.com/usherhq/usher/internal/spaces"
)

// childEnv, set, makes the test binary `usher serve` itself (TestMain):
// a test can start a real server process and kill it.
const childEnv = "USHER_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "serve" {
		if err := run(context.Background(), []string{"serve"}, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "usher:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// server is a `usher serve` process of the test binary.
type server struct {
	cmd *exec.Cmd
	url string
	log *os.File
}

// startServer runs `usher serve` with env in a process of its own and
// waits until it answers.
func startServer(t *testing.T, env map[string]string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=serve")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	log, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, url: env["USHER_BASE_URL"], log: log}
	t.Cleanup(func() { s.kill(t) })
	for i := 0; ; i++ {
		res, err := http.Get(s.url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		if i == 600 {
			t.Fatalf("the server did not answer in a minute: %v\n%s", err, s.output())
		}
		time.Sleep(100 * time.Millisecond) // waiting for a process to listen, not timing a result
	}
}

func (s *server) output() string {
	b, _ := os.ReadFile(s.log.Name())
	return string(b)
}

// kill ends the process as kill -9 does: no shutdown, nothing flushed.
func (s *server) kill(t *testing.T) {
	t.Helper()
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// A job of 5,000 `Send new invitation`s, the server killed (SIGKILL)
// halfway and started again on the same folder: the job goes on where it
// stood, and every person gets exactly one new invitation email at the
// mail server; the progress and the final banner say so.
func TestBulkJobSurvivesKill(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("5,000 emails through two server processes; run without -short")
	}
	const perCall = 250
	// Under the race detector each email costs several times as much: a
	// fifth of them keeps the package within go test's ten minutes.
	n, total := 5000, "5,000"
	if raceOn {
		n, total = 1000, "1,000"
	}
	// The people, invited long ago with a short-lived link: expired now.
	e := apptest.New(t, apptest.Options{InviteTTL: time.Minute, Env: map[string]string{"USHER_SEND_LIMIT": "10000"}})
	admin := e.SetupAdmin(t)
	acc, err := e.App.Users.Account(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	access, err := e.App.Users.Access(context.Background(), admin)
	if err != nil {
		t.Fatal(err)
	}
	actor := invitations.Actor{User: admin, Access: access}
	people := make([]string, 0, n)
	for i := 0; i < n; i += perCall {
		var batch []string
		for k := i; k < min(i+perCall, n); k++ {
			batch = append(batch, fmt.Sprintf("p%04d@example.com", k))
		}
		if _, err := e.App.Invitations.InviteMany(context.Background(), actor, batch, "", []spaces.Grant{{SpaceID: acc.ID, Role: spaces.Member}}, ""); err != nil {
			t.Fatal(err)
		}
		people = append(people, batch...)
	}
	e.Deliver(t) // the first invitations, into the built-in mailbox of this set-up
	dir := e.App.Config.DataDir
	e.App.Close()

	mx := smtptest.Start(t)
	addr := freeAddr(t)
	env := map[string]string{
		"USHER_DATA_DIR":   dir,
		"USHER_ADDR":       addr,
		"USHER_BASE_URL":   "http://" + addr,
		"USHER_SMTP_URL":   mx.URL().String(),
		"USHER_SEND_LIMIT": "10000",
	}
	srv := startServer(t, env)
	c := signIn(t, srv.url)
	form := url.Values{"action": {"renew"}, "all": {"1"}, "status": {"expired"}, "return": {"/settings/users?status=expired"}}
	ask := post(t, c, srv.url, "/settings/users/bulk", form)
	if !strings.Contains(ask, "Send new invitations to "+total+" people whose invitations expired?") {
		t.Fatalf("confirmation:\n%s", ask)
	}
	post(t, c, srv.url, "/settings/users/bulk/run", form)

	// Halfway: the mail server holds its reply to a message, so the
	// sender (and the job, whose batches it takes turns with) waits there;
	// every message before it was accepted and recorded.
	mx.Await(t, n/2, 5*time.Minute)
	mx.Hold(smtptest.Data)
	select {
	case <-mx.Held():
	case <-time.After(time.Minute):
		t.Fatal("no message reached the held reply")
	}
	progress := get(t, c, srv.url, "/settings/users?status=expired")
	srv.kill(t)
	// The held message never counts as received: the server refuses it
	// once released, as the dead connection would have it.
	mx.Refuse(smtptest.Data, 451, "connection lost")
	mx.Release()
	before := len(mx.Messages())
	m := regexp.MustCompile(`Send new invitation: ([\d,]+) of ` + total + ` done\.`).FindStringSubmatch(progress)
	if m == nil {
		t.Fatalf("no progress on the job's banner before the kill:\n%s", progress)
	}
	if m[1] == "0" || m[1] == total || before >= n {
		t.Fatalf("the kill came at %s of %s done, %d emails received: not halfway", m[1], total, before)
	}
	mx.Reset()
	first := srv

	srv = startServer(t, env)
	c = signIn(t, srv.url)
	mx.Await(t, n, 5*time.Minute)
	// Everything queued has been tried once the outbox has nothing due;
	// wait for that, then for the result on the page.
	var page string
	for i := 0; ; i++ {
		page = get(t, c, srv.url, "/settings/users")
		if strings.Contains(page, total+" new invitations sent.") {
			break
		}
		if i == 600 {
			t.Fatalf("no result after the restart:\n%s\n%s", page, srv.output())
		}
		time.Sleep(100 * time.Millisecond) // waiting for the job to finish, not timing it
	}
	got := map[string]int{}
	for _, msg := range mx.Messages() {
		for _, to := range msg.To {
			got[to]++
		}
	}
	for _, p := range people {
		if got[p] != 1 {
			t.Errorf("%s got %d new invitations, want 1; what each process said of them:\n%s\n--- after the restart:\n%s", p, got[p], linesOf(first.output(), p), linesOf(srv.output(), p))
		}
	}
	if len(got) != n {
		t.Errorf("%d people got email, want %d", len(got), n)
	}
	if list := get(t, c, srv.url, "/settings/users?status=expired"); !strings.Contains(list, total+" new invitations sent.") {
		t.Errorf("the banner above the list lacks the result")
	}
	t.Logf("killed after %d of %d emails (job at %s); restarted, %d in all", before, n, m[1], len(mx.Messages()))
}

func signIn(t *testing.T, base string) *http.Client {
	t.Helper()
	return signInAs(t, base, apptest.AdminEmail, apptest.AdminPassword)
}

func post(t *testing.T, c *http.Client, base, path string, form url.Values) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return do(t, c, req)
}

func get(t *testing.T, c *http.Client, base, path string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, c, req)
}

// do sends req and gives the body, failing the test on an error status.
func do(t *testing.T, c *http.Client, req *http.Request) string {
	t.Helper()
	res, b := roundTrip(t, c, req)
	if res.StatusCode >= 400 {
		t.Fatalf("%s %s: %d\n%s", req.Method, req.URL.Path, res.StatusCode, b)
	}
	return b
}

// roundTrip sends req and reads the whole answer.
func roundTrip(t *testing.T, c *http.Client, req *http.Request) (*http.Response, string) {
	t.Helper()
	res := apptest.Send(t, c, req)
	return res.Response, res.Body
}

// linesOf are the lines of a server's log that name who.
func linesOf(log, who string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, who) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
