package config

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

// load parses args with env as the environment.
func load(env map[string]string, args ...string) (*Config, error) {
	fs := flag.NewFlagSet("usher", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	build := Flags(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return build()
}

func TestDefaults(t *testing.T) {
	c, err := load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "localhost:8080" || c.DataDir != "data" || c.BaseURL.String() != "http://localhost:8080" ||
		c.SMTPURL != nil || c.MailFrom.String() != `"Usher" <no-reply@localhost>` || c.InviteTTL != 168*time.Hour || c.ResetTTL != time.Hour ||
		c.RemindBefore != 0 || c.SessionIdle != 168*time.Hour || c.SessionMax != 720*time.Hour || c.SendLimit != 200 || c.DefaultLanguage != "en" || c.SessionSecret != "" || c.LinkSecret != "" || c.Secure() ||
		c.ActivityRetention != 400 {
		t.Errorf("defaults = %+v (base %s, from %s)", c, c.BaseURL, c.MailFrom)
	}
}

func TestValues(t *testing.T) {
	secret := strings.Repeat("s", 32)
	c, err := load(map[string]string{
		"USHER_ADDR":           "0.0.0.0:9000",
		"USHER_DATA_DIR":       "/var/lib/usher/",
		"USHER_BASE_URL":       "https://usher.example.com/",
		"USHER_SMTP_URL":       "smtps://user:pass@mail.example.com:465",
		"USHER_MAIL_FROM":      "Acme <invites@example.com>",
		"USHER_INVITE_TTL":     "72h",
		"USHER_REMIND_BEFORE":  "24h",
		"USHER_RESET_TTL":      "30m",
		"USHER_SESSION_SECRET": secret,
		"USHER_LINK_SECRET":    secret,
		"USHER_PPROF_ADDR":     "127.0.0.1:6060",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.DataDir != "/var/lib/usher" || c.BaseURL.String() != "https://usher.example.com" ||
		c.SMTPURL.Host != "mail.example.com:465" || c.MailFrom.Address != "invites@example.com" ||
		c.InviteTTL != 72*time.Hour || c.RemindBefore != 24*time.Hour || c.ResetTTL != 30*time.Minute || c.SessionSecret != secret || !c.Secure() || c.PprofAddr != "127.0.0.1:6060" {
		t.Errorf("config = %+v", c)
	}
}

// Without a base URL, links point at the listen address; a wildcard host
// is not an address anyone can open, so links use localhost instead.
func TestDefaultBaseURL(t *testing.T) {
	tests := map[string]string{
		"localhost:8080":   "http://localhost:8080",
		"192.0.2.7:80":     "http://192.0.2.7:80",
		":8080":            "http://localhost:8080",
		"0.0.0.0:8080":     "http://localhost:8080",
		"[::]:8080":        "http://localhost:8080",
		"usher.local:8080": "http://usher.local:8080",
	}
	for addr, want := range tests {
		c, err := load(map[string]string{"USHER_ADDR": addr})
		if err != nil {
			t.Errorf("USHER_ADDR=%s: %v", addr, err)
			continue
		}
		if got := c.BaseURL.String(); got != want {
			t.Errorf("USHER_ADDR=%s: base URL %s, want %s", addr, got, want)
		}
	}
}

func TestBadValues(t *testing.T) {
	tests := []struct {
		env, value string
	}{
		{"USHER_INVITE_TTL", "soon"},
		{"USHER_INVITE_TTL", "-1h"},
		{"USHER_INVITE_TTL", "0s"},
		{"USHER_INVITE_TTL", "30s"},
		{"USHER_RESET_TTL", "soon"},
		{"USHER_RESET_TTL", "1m"},
		{"USHER_RESET_TTL", "48h"},
		{"USHER_ADDR", "localhost"},
		{"USHER_ADDR", "localhost:"},
		{"USHER_ADDR", "http://localhost:8080"},
		{"USHER_BASE_URL", "usher.example.com"},
		{"USHER_BASE_URL", "ftp://usher.example.com"},
		{"USHER_BASE_URL", "https://"},
		{"USHER_BASE_URL", "https://usher.example.com/?x=1"},
		{"USHER_BASE_URL", "https://usher.example.com/#top"},
		{"USHER_SMTP_URL", "http://mail.example.com:587"},
		{"USHER_SMTP_URL", "mail.example.com:587"},
		{"USHER_SMTP_URL", "smtp://:587"},
		{"USHER_SMTP_URL", "smtp://mail.example.com:587?tls=maybe"},
		{"USHER_MAIL_FROM", "nobody"},
		{"USHER_MAIL_FROM", "Usher <no-reply@localhost"},
		{"USHER_REMIND_BEFORE", "later"},
		{"USHER_REMIND_BEFORE", "168h"},
		{"USHER_REMIND_BEFORE", "-1h"},
		{"USHER_SESSION_IDLE", "a week"},
		{"USHER_SESSION_IDLE", "0s"},
		{"USHER_SESSION_IDLE", "721h"},
		{"USHER_SESSION_MAX", "-1h"},
		{"USHER_SESSION_MAX", "forever"},
		{"USHER_ACTIVITY_RETENTION", "-1"},
		{"USHER_ACTIVITY_RETENTION", "a year"},
		{"USHER_ACTIVITY_RETENTION", "400d"},
		{"USHER_ACTIVITY_RETENTION", "1.5"},
		{"USHER_ACTIVITY_RETENTION", "36501"},
		{"USHER_SEND_LIMIT", "0"},
		{"USHER_SEND_LIMIT", "lots"},
		{"USHER_DEFAULT_LANGUAGE", "fr"},
		{"USHER_DEFAULT_LANGUAGE", "german"},
		{"USHER_PPROF_ADDR", "0.0.0.0:6060"},
		{"USHER_PPROF_ADDR", ":6060"},
		{"USHER_PPROF_ADDR", "example.com:6060"},
		{"USHER_PPROF_ADDR", "127.0.0.1"},
		{"USHER_SESSION_SECRET", "short"},
		{"USHER_LINK_SECRET", strings.Repeat("x", 31)},
	}
	for _, tc := range tests {
		t.Run(tc.env+"="+tc.value, func(t *testing.T) {
			_, err := load(map[string]string{tc.env: tc.value})
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.env+":") {
				t.Errorf("error does not name %s: %s", tc.env, msg)
			}
			// One problem, one line: the message is read by a person.
			if n := strings.Count(msg, tc.env+":"); n != 1 {
				t.Errorf("%s reported %d times: %s", tc.env, n, msg)
			}
			if strings.Contains(tc.env, "SECRET") && strings.Contains(msg, tc.value) {
				t.Errorf("error repeats the secret: %s", msg)
			}
		})
	}
}

// A session cannot be allowed to idle longer than it may live: a
// shorter USHER_SESSION_MAX than the idle timeout is refused, a shorter
// idle timeout taken.
func TestSessionTimeouts(t *testing.T) {
	c, err := load(map[string]string{"USHER_SESSION_IDLE": "30m", "USHER_SESSION_MAX": "12h"})
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionIdle != 30*time.Minute || c.SessionMax != 12*time.Hour {
		t.Errorf("idle %s, max %s", c.SessionIdle, c.SessionMax)
	}
	_, err = load(map[string]string{"USHER_SESSION_MAX": "100h"})
	if err == nil || !strings.Contains(err.Error(), "USHER_SESSION_MAX (100h)") {
		t.Errorf("a maximum shorter than the idle timeout: %v", err)
	}
	_, err = load(nil, "--session-idle", "1h", "--session-max", "2h")
	if err != nil {
		t.Errorf("flags: %v", err)
	}
}

// Every problem is reported at once, not one per start.
func TestAllProblemsReported(t *testing.T) {
	_, err := load(map[string]string{"USHER_ADDR": "nope", "USHER_INVITE_TTL": "soon", "USHER_MAIL_FROM": "x"})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, env := range []string{"USHER_ADDR", "USHER_INVITE_TTL", "USHER_MAIL_FROM"} {
		if !strings.Contains(err.Error(), env) {
			t.Errorf("%s missing from %s", env, err)
		}
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	env := map[string]string{"USHER_ADDR": "localhost:1111", "USHER_INVITE_TTL": "soon", "USHER_DATA_DIR": "/from/env"}
	c, err := load(env, "-addr", "localhost:2222", "-invite-ttl", "48h")
	if err != nil {
		t.Fatalf("a good flag should win over a bad variable: %v", err)
	}
	if c.Addr != "localhost:2222" || c.InviteTTL != 48*time.Hour || c.DataDir != "/from/env" {
		t.Errorf("config = %+v; want the flags' addr and ttl, the variable's data dir", c)
	}
	if _, err := load(nil, "-invite-ttl", "soon"); err == nil || !strings.Contains(err.Error(), "USHER_INVITE_TTL") {
		t.Errorf("bad flag: err = %v, want one naming USHER_INVITE_TTL", err)
	}
}

func TestDataDirFlag(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
		want string
	}{
		{"", nil, "./data"},
		{"/env", nil, "/env"},
		{"/env", []string{"-data-dir", "/flag"}, "/flag"},
	} {
		fs := flag.NewFlagSet("usher", flag.ContinueOnError)
		dir := DataDir(fs, func(k string) string {
			if k == "USHER_DATA_DIR" {
				return tc.env
			}
			return ""
		})
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if *dir != tc.want {
			t.Errorf("env %q, args %q: data dir %q, want %q", tc.env, tc.args, *dir, tc.want)
		}
	}
}

// The usage text (for -h, or after a mistyped flag, often into a log) must
// not show what the variables hold: they include the secrets and the SMTP
// password.
func TestUsageShowsNoSecrets(t *testing.T) {
	env := map[string]string{
		"USHER_SESSION_SECRET": "session-" + strings.Repeat("1", 32),
		"USHER_LINK_SECRET":    "link-" + strings.Repeat("2", 32),
		"USHER_SMTP_URL":       "smtp://user:hunter2-password@mail.example.com:587",
	}
	fs := flag.NewFlagSet("usher", flag.ContinueOnError)
	var out strings.Builder
	fs.SetOutput(&out)
	build := Flags(fs, func(k string) string { return env[k] })
	if err := fs.Parse([]string{"-no-such-flag"}); err == nil {
		t.Fatal("unknown flag accepted")
	}
	for _, v := range env {
		if strings.Contains(out.String(), v) || strings.Contains(out.String(), "hunter2") {
			t.Errorf("usage text shows %q:\n%s", v, out.String())
		}
	}
	if !strings.Contains(out.String(), "USHER_LINK_SECRET") {
		t.Errorf("usage text does not name the variables:\n%s", out.String())
	}
	// The variables still apply.
	c, err := build()
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionSecret != env["USHER_SESSION_SECRET"] || c.SMTPURL.User.Username() != "user" {
		t.Errorf("variables lost: %+v", c)
	}
}

// The activity log's retention, in days: 0 keeps it forever; the flag wins
// over the variable.
func TestActivityRetention(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want int
	}{
		{nil, nil, 400},
		{map[string]string{"USHER_ACTIVITY_RETENTION": "0"}, nil, 0},
		{map[string]string{"USHER_ACTIVITY_RETENTION": " 90 "}, nil, 90},
		{map[string]string{"USHER_ACTIVITY_RETENTION": "90"}, []string{"--activity-retention", "30"}, 30},
		{nil, []string{"--activity-retention", "36500"}, 36500},
	} {
		c, err := load(tc.env, tc.args...)
		if err != nil {
			t.Fatalf("%v %v: %v", tc.env, tc.args, err)
		}
		if c.ActivityRetention != tc.want {
			t.Errorf("%v %v: %d days, want %d", tc.env, tc.args, c.ActivityRetention, tc.want)
		}
	}
	if _, err := load(nil, "--activity-retention", "-5"); err == nil || !strings.Contains(err.Error(), "USHER_ACTIVITY_RETENTION") {
		t.Errorf("--activity-retention -5: err %v", err)
	}
}
