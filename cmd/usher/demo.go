package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/usherhq/usher/db"
	"github.com/usherhq/usher/internal/app"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/config"
	"github.com/usherhq/usher/internal/demo"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/names"
	"github.com/usherhq/usher/internal/users"
)

// demoPassword is the demo administrator's password unless
// USHER_ADMIN_PASSWORD says otherwise. It is printed: it guards demo data.
const demoPassword = "demo password 1234"

// demoData is `usher demo`: a data folder full of realistic, fake people.
func demoData(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("usher demo", flag.ContinueOnError)
	build := config.Flags(fs, getenv)
	n := fs.Int("users", 1000, "how many users to create, the administrator included")
	account := fs.String("account", "Northwind Health", "the account's name")
	force := fs.Bool("force", false, "replace the database of a data folder that already has users (deletes them)")
	seed := fs.Uint64("seed", 1, "the same seed gives the same people")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *n < 1 || *n > 10_000_000 {
		return errors.New("--users must be between 1 and 10000000")
	}
	// Before anything is opened: --force must not replace a database for
	// a name that is then refused.
	if _, err := names.Account.Clean("account", *account, true); err != nil {
		return fmt.Errorf("--account: %s", errs.MessageOf(err))
	}
	cfg, err := build()
	if err != nil {
		return err
	}
	password, given := getenv("USHER_ADMIN_PASSWORD"), true
	if password == "" {
		password, given = demoPassword, false
	}
	if err := auth.CheckNewPassword(password); err != nil {
		return fmt.Errorf("USHER_ADMIN_PASSWORD: %s", errs.MessageOf(err))
	}
	log := newLogger(stderr)

	d, err := app.OpenDB(ctx, cfg.DataDir, log)
	if err != nil {
		return err
	}
	empty, err := demo.Empty(ctx, d)
	if err != nil {
		d.Close()
		return err
	}
	if !empty {
		d.Close()
		if !*force {
			return fmt.Errorf("%s already has users: add --force to replace its database with demo data (this deletes them)", cfg.DataDir)
		}
		// Removing the files, not the rows: whatever tables later versions
		// add go too, and it takes no time. The keys stay.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(filepath.Join(cfg.DataDir, db.FileName+suffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("replacing the database: %w", err)
			}
		}
		if d, err = app.OpenDB(ctx, cfg.DataDir, log); err != nil {
			return err
		}
	}
	defer d.Close()

	linkKey, err := auth.Secret(cfg.DataDir, "link", cfg.LinkSecret)
	if err != nil {
		return err
	}
	// One hash for every active user: argon2id is slow on purpose.
	hash, err := auth.NewHasher(1).Hash(ctx, password)
	if err != nil {
		return err
	}
	started := time.Now()
	sum, err := demo.Seed(ctx, d, demo.Options{
		Users: *n, AccountName: *account, AdminEmail: "admin@example.com", PasswordHash: hash,
		Links: auth.NewLinks(linkKey), TTL: cfg.InviteTTL, Now: time.Now(), Seed: *seed,
	})
	if err != nil {
		return err
	}
	took := time.Since(started)

	fmt.Fprintf(stdout, "Created the demo account %q in %s in %.1fs:\n", *account, cfg.DataDir, took.Seconds())
	fmt.Fprintf(stdout, "  %d users: %d active, %d invited, %d with an expired invitation, %d deactivated\n", sum.Users,
		sum.ByStatus[users.Active], sum.ByStatus[users.Invited], sum.ByStatus[users.Expired], sum.ByStatus[users.Deactivated])
	fmt.Fprintf(stdout, "  %d spaces, %d invitations, %d emails\n\n", sum.Spaces, sum.Invitations, sum.Emails)
	pw := fmt.Sprintf("the password %q", password)
	if given {
		pw = "the password in USHER_ADMIN_PASSWORD"
	}
	fmt.Fprintf(stdout, "Start it with \"usher serve --data-dir %s\", open %s/login and sign in as admin@example.com with %s.\n", cfg.DataDir, cfg.BaseURL, pw)
	fmt.Fprintf(stdout, "Every active demo user has that password too.\n")
	return nil
}
