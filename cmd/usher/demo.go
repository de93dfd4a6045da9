package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

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
	activityRows := fs.Int("activity", 1_000_000, "about how many activity log entries to create over the past year: each person's history, then sign-ins up to this many")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *n < 1 || *n > 10_000_000 {
		return errors.New("--users must be between 1 and 10000000")
	}
	if *activityRows < 0 || *activityRows > 100_000_000 {
		return errors.New("--activity must be between 0 and 100000000")
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

	d, err := app.OpenDemo(ctx, cfg, log)
	if err != nil {
		return err
	}
	empty, err := d.Seeder.Empty(ctx)
	if err != nil {
		d.Close()
		return err
	}
	if !empty {
		d.Close()
		if !*force {
			return fmt.Errorf("%s already has users: add --force to replace its database with demo data (this deletes them)", cfg.DataDir)
		}
		if err := app.RemoveDB(cfg.DataDir); err != nil {
			return fmt.Errorf("replacing the database: %w", err)
		}
		if d, err = app.OpenDemo(ctx, cfg, log); err != nil {
			return err
		}
	}
	defer d.Close()

	started := time.Now()
	sum, err := d.Seeder.Seed(ctx, demo.Options{
		Users: *n, AccountName: *account, AdminEmail: "admin@example.com", Password: password, Now: time.Now(), Seed: *seed, Activity: *activityRows,
	})
	if err != nil {
		return err
	}
	took := time.Since(started)

	fmt.Fprintf(stdout, "Created the demo account %q in %s in %.1fs:\n", *account, cfg.DataDir, took.Seconds())
	fmt.Fprintf(stdout, "  %d users: %d active, %d invited, %d with an expired invitation, %d deactivated\n", sum.Users,
		sum.ByStatus[users.Active], sum.ByStatus[users.Invited], sum.ByStatus[users.Expired], sum.ByStatus[users.Deactivated])
	fmt.Fprintf(stdout, "  %d spaces, %d invitations, %d emails, %d activity log entries\n\n", sum.Spaces, sum.Invitations, sum.Emails, sum.Activity)
	pw := fmt.Sprintf("the password %q", password)
	if given {
		pw = "the password in USHER_ADMIN_PASSWORD"
	}
	fmt.Fprintf(stdout, "Start it with \"usher serve --data-dir %s\", open %s/login and sign in as admin@example.com with %s.\n", cfg.DataDir, cfg.BaseURL, pw)
	fmt.Fprintf(stdout, "Every active demo user has that password too.\n")
	return nil
}
