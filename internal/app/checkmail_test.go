package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
)

// TestCheckMail: the start-up check goes through the transport's own
// connection code: a working server answers, a closed port is said with
// host:port and the reason, and the built-in mailbox needs no check.
func TestCheckMail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var logs bytes.Buffer
	up := apptest.New(t, apptest.Options{SMTP: true, Log: &logs})
	if err := up.App.CheckMail(ctx, 5*time.Second); err != nil {
		t.Errorf("a working server: %v", err)
	}
	if up.SMTP.Connections() != 1 || len(up.SMTP.Messages()) != 0 {
		t.Errorf("the check made %d connections and sent %d messages; want one connection, nothing sent", up.SMTP.Connections(), len(up.SMTP.Messages()))
	}
	down := apptest.New(t, apptest.Options{SMTPDown: true, Log: &logs})
	err := down.App.CheckMail(ctx, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), down.SMTPAddr()+": connection refused") {
		t.Errorf("a closed port: %v, want it named and refused", err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "server="+down.SMTPAddr()) {
		t.Errorf("no warning naming %s in the log:\n%s", down.SMTPAddr(), logs.String())
	}
	if err := apptest.New(t, apptest.Options{}).App.CheckMail(ctx, time.Second); err != nil {
		t.Errorf("the built-in mailbox: %v", err)
	}
}
