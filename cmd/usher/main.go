// Command usher runs the Usher invitation admin app.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/app"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/config"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/internal/signing"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "usher:", err)
		os.Exit(1)
	}
}

const usage = `Usher: invite people to your account and manage their invitations.

Usage:
  usher [serve] [flags]                          run the web app (the default)
  usher admin create --email E --name N [flags]  add an account administrator
  usher admin reset-2fa --email E [flags]        remove a locked-out person's two-factor sign-in
  usher keys rotate [flags]                      make a new key to sign ID tokens with
  usher migrate [flags]                          bring the database up to date
  usher demo --users N [--force] [flags]         fill a data folder with demo data
  usher version                                  print the version

Run "usher serve -h" for the settings; each flag has an environment variable.
`

// commandLine is the actor of the admin commands in the activity log.
var commandLine = activity.Source{ActorName: "command line"}

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "admin":
		// What an operator does here is the command line's in the
		// activity log: it has no signed-in person, nor an address.
		ctx = activity.With(ctx, commandLine)
		switch {
		case len(args) > 0 && args[0] == "create":
			return adminCreate(ctx, args[1:], getenv, stdin, stdout, stderr)
		case len(args) > 0 && args[0] == "reset-2fa":
			return adminReset2FA(ctx, args[1:], getenv, stdout, stderr)
		}
		return errors.New(`unknown admin command: use "usher admin create --email E --name N" or "usher admin reset-2fa --email E"`)
	case "keys":
		if len(args) > 0 && args[0] == "rotate" {
			return keysRotate(args[1:], getenv, stdout, stderr)
		}
		return errors.New(`unknown keys command: use "usher keys rotate"`)
	case "migrate":
		return migrate(ctx, args, getenv, stdout, stderr)
	case "demo":
		return demoData(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "usher %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	return fs.Parse(args)
}

// keysRotate makes a new signing key in the data folder; the one it
// replaces stays published (for verifying the tokens it signed) for
// signing.KeepRetired. A running server takes the new key at its next
// signature.
func keysRotate(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher keys rotate", flag.ContinueOnError)
	dataDir := config.DataDir(fs, getenv)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return err
	}
	now := time.Now()
	k, kept, err := signing.Rotate(*dataDir, signing.KeepRetired, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new signing key %s\n", k.ID)
	for _, old := range kept {
		fmt.Fprintf(stdout, "still published for verification: %s (retired %s, until %s)\n", old.ID,
			old.Retired.Format(time.RFC3339), old.Retired.Add(signing.KeepRetired).Format(time.RFC3339))
	}
	return nil
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher migrate", flag.ContinueOnError)
	dataDir := config.DataDir(fs, getenv)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	data, err := app.Open(ctx, *dataDir, newLogger(stderr))
	if err != nil {
		return err
	}
	defer data.Close()
	v, err := data.DB.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database is at version %d\n", v)
	return nil
}

func adminCreate(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher admin create", flag.ContinueOnError)
	dataDir := config.DataDir(fs, getenv)
	email := fs.String("email", "", "the administrator's email (required)")
	name := fs.String("name", "", "the administrator's name (required)")
	account := fs.String("account", "", "the account's name, if it has not been set up yet")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *email == "" || *name == "" {
		return errors.New("--email and --name are required")
	}
	password := getenv("USHER_ADMIN_PASSWORD")
	if password == "" {
		var err error
		if password, err = promptPassword(stdin, stderr); err != nil {
			return err
		}
	}
	data, err := app.Open(ctx, *dataDir, newLogger(stderr))
	if err != nil {
		return err
	}
	defer data.Close()
	u, err := data.Users.CreateAdmin(ctx, *account, *email, *name, password)
	if err != nil {
		if errs.CodeOf(err) != errs.Internal {
			return errors.New(errs.MessageOf(err))
		}
		return err
	}
	fmt.Fprintf(stdout, "Created account administrator %s <%s>.\n", u.Name, u.Email)
	return nil
}

// adminReset2FA removes the second factor and the recovery codes of the
// person with --email, and ends their sessions: for someone who lost
// their phone and their codes. It works while a server runs on the same
// data folder (SQLite in WAL mode, one short transaction); the server sees
// the ended sessions at their next request.
func adminReset2FA(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher admin reset-2fa", flag.ContinueOnError)
	dataDir := config.DataDir(fs, getenv)
	email := fs.String("email", "", "the person's email (required)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if strings.TrimSpace(*email) == "" {
		return errors.New("--email is required")
	}
	data, err := app.Open(ctx, *dataDir, newLogger(stderr))
	if err != nil {
		return err
	}
	defer data.Close()
	u, had, err := data.ResetTwoFactor(ctx, strings.TrimSpace(*email))
	if err != nil {
		if errs.CodeOf(err) != errs.Internal {
			return fmt.Errorf("%s: %s", *email, errs.MessageOf(err))
		}
		return err
	}
	if !had {
		fmt.Fprintf(stdout, "%s had no two-factor sign-in; their sessions were ended.\n", u.Email)
		return nil
	}
	fmt.Fprintf(stdout, "Two-factor sign-in and recovery codes removed for %s; their sessions were ended. They sign in with their password alone now and can enrol again on their profile.\n", u.Email)
	return nil
}

// promptPassword asks twice on a terminal, without echo; from a pipe it
// reads one line.
func promptPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		b, err := io.ReadAll(io.LimitReader(stdin, auth.MaxPasswordLen+2))
		if err != nil {
			return "", err
		}
		pw := strings.TrimRight(string(b), "\r\n")
		if pw == "" {
			return "", errors.New("no password: set USHER_ADMIN_PASSWORD or type it at the prompt")
		}
		return pw, nil
	}
	fmt.Fprint(stderr, "Password (at least 12 characters): ")
	a, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return "", err
	}
	fmt.Fprint(stderr, "Same password again: ")
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return "", err
	}
	if string(a) != string(b) {
		return "", errors.New("the two passwords differ")
	}
	return string(a), nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	started := time.Now()
	fs := flag.NewFlagSet("usher serve", flag.ContinueOnError)
	build := config.Flags(fs, getenv)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	cfg, err := build()
	if err != nil {
		return err
	}
	log := newLogger(stderr)
	a, err := app.New(ctx, cfg, clock.Real{}, log)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("USHER_ADDR: cannot listen on %s: %w", cfg.Addr, err)
	}
	hs := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	senderDone := make(chan struct{})
	senderCtx, stopSender := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer close(senderDone)
		a.Sender.Run(senderCtx)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	if cfg.PprofAddr != "" {
		stopProfiler, err := serveProfiler(cfg.PprofAddr, log)
		if err != nil {
			stopSender()
			<-senderDone
			hs.Close()
			return err
		}
		defer stopProfiler()
	}
	// A mail server that cannot be used is said at once, in the log; the
	// check does not hold up the start.
	checked := make(chan struct{})
	go func() {
		defer close(checked)
		a.CheckMail(senderCtx, mail.DefaultCheckTimeout)
	}()

	log.Info("usher is listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL.String(), "version", version, "startup_ms", time.Since(started).Milliseconds())
	if u := a.SetupURL(); u != "" {
		// Said to the operator in the account's language (the log stays English).
		l := i18n.Default().Locale(a.Users.DefaultLanguage(ctx))
		fmt.Fprintf(stdout, "\n%s\n\n    %s\n\n", l.T("console.setup"), u)
	}

	select {
	case err := <-serveErr:
		stopSender()
		<-senderDone
		<-checked
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests and the email being sent")
	// The sender stops now, between messages: the one being sent is
	// finished and recorded, the rest stay queued for the next start.
	stopSender()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = hs.Shutdown(shutdownCtx)
	<-senderDone
	<-checked
	log.Info("stopped")
	return err
}
