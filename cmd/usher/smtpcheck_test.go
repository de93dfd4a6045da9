package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// watchLog is serve's stderr: it keeps what was written and calls found
// once a line holding want appears.
type watchLog struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	want  []string
	found func(line string)
	done  bool
}

func (w *watchLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for _, line := range strings.Split(w.buf.String(), "\n") {
		if !w.done && containsAll(line, w.want) {
			w.done = true
			w.found(line)
		}
	}
	return len(p), nil
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestServeWarnsOfABrokenMailServer: serve tries the SMTP server at its
// start and logs a warning naming host:port and what went wrong, and it
// keeps serving.
func TestServeWarnsOfABrokenMailServer(t *testing.T) {
	t.Parallel()
	smtpAddr := closedPort(t)
	addr := closedPort(t)
	env := map[string]string{"USHER_DATA_DIR": t.TempDir(), "USHER_ADDR": addr, "USHER_SMTP_URL": "smtp://" + smtpAddr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	warned := make(chan string, 1)
	log := &watchLog{want: []string{"level=WARN", "mail server", "server=" + smtpAddr}, found: func(line string) { warned <- line }}
	served := make(chan error, 1)
	go func() {
		served <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, log)
	}()
	var line string
	select {
	case line = <-warned:
	case err := <-served:
		t.Fatalf("serve stopped before warning: %v", err)
	case <-time.After(30 * time.Second): // a bound on failure, not a wait: a closed port refuses at once
		t.Fatal("serve logged no warning about the mail server")
	}
	if !strings.Contains(line, "refused") {
		t.Errorf("the warning should say what went wrong (connection refused):\n%s", line)
	}
	// Still serving, after the warning.
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("serve stopped answering after the warning: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/healthz: status %d", res.StatusCode)
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
}

// TestSetupMessageInTheAccountsLanguage: the one-time setup link is
// offered on the console in USHER_DEFAULT_LANGUAGE.
func TestSetupMessageInTheAccountsLanguage(t *testing.T) {
	t.Parallel()
	addr := closedPort(t)
	env := map[string]string{"USHER_DATA_DIR": t.TempDir(), "USHER_ADDR": addr, "USHER_DEFAULT_LANGUAGE": "de"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	said := make(chan string, 1)
	out := &watchLog{want: []string{"/setup/"}, found: func(line string) { said <- line }}
	served := make(chan error, 1)
	go func() {
		served <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), out, io.Discard)
	}()
	select {
	case <-said:
	case err := <-served:
		t.Fatalf("serve stopped before offering the setup link: %v", err)
	case <-time.After(30 * time.Second): // a bound on failure, not a wait
		t.Fatal("serve printed no setup link")
	}
	out.mu.Lock()
	text := out.buf.String()
	out.mu.Unlock()
	if !strings.Contains(text, "Usher ist noch nicht eingerichtet. Öffnen Sie diesen einmaligen Link") {
		t.Errorf("the setup message should be German:\n%s", text)
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
}
