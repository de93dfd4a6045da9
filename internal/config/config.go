// Package config reads Usher's settings from flags and the environment and
// validates them before anything starts.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/usherhq/usher/internal/i18n"
)

// Config holds every setting of `usher serve`.
type Config struct {
	Addr         string
	DataDir      string
	BaseURL      *url.URL
	SMTPURL      *url.URL // nil: the built-in mailbox
	MailFrom     *mail.Address
	InviteTTL    time.Duration
	RemindBefore time.Duration // 0: no automatic reminder
	// SessionIdle ends a session unused this long; SessionMax ends any
	// session this long after sign-in.
	SessionIdle time.Duration
	SessionMax  time.Duration
	// ResetTTL is how long a password reset link works after it is sent.
	ResetTTL time.Duration
	// ActivityRetention is how many days the activity log keeps an entry
	// (0: forever).
	ActivityRetention int
	// RequireTwoFactor names who must sign in with a second factor:
	// RequireOff, RequireAdmins or RequireAll.
	RequireTwoFactor string
	// SendLimit is how many emails one administrator's actions may send
	// in an hour (invitations.Budget).
	SendLimit int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is
	// believed when working out a client's address (for rate limits).
	TrustedProxies []*net.IPNet
	// DefaultLanguage is the language of people Usher knows nothing about
	// yet (no choice of theirs, no browser language it speaks), until an
	// account administrator sets the account's own.
	DefaultLanguage string
	// WebhookAllowPrivate lets webhooks reach loopback, private and
	// link-local addresses (refused otherwise, against SSRF).
	WebhookAllowPrivate bool
	// PprofAddr is a loopback address where Go's profiler answers
	// (net/http/pprof); empty: nowhere.
	PprofAddr string
	// Secrets from the environment; empty means "generate into the data folder".
	SessionSecret string
	LinkSecret    string
}

// The values of USHER_REQUIRE_2FA.
const (
	RequireOff    = "off"
	RequireAdmins = "admins"
	RequireAll    = "all"
)

// maxRetentionDays bounds USHER_ACTIVITY_RETENTION.
const maxRetentionDays = 36500

// Secure reports whether links and cookies are served over https.
func (c *Config) Secure() bool { return c.BaseURL.Scheme == "https" }

// setting describes one setting: its flag, its variable, its default.
type setting struct {
	flag, env, def, usage string
}

var settings = []setting{
	{"addr", "USHER_ADDR", "localhost:8080", "listen address"},
	{"data-dir", "USHER_DATA_DIR", "./data", "data folder (database, generated secrets)"},
	{"base-url", "USHER_BASE_URL", "", "public base URL for links in emails (default http:// + listen address)"},
	{"smtp-url", "USHER_SMTP_URL", "", "SMTP server, smtp://user:pass@host:587 or smtps://… (default: built-in mailbox)"},
	{"mail-from", "USHER_MAIL_FROM", "Usher <no-reply@localhost>", "sender of emails"},
	{"invite-ttl", "USHER_INVITE_TTL", "168h", "how long an invitation link stays valid (Go duration)"},
	{"reset-ttl", "USHER_RESET_TTL", "1h", "how long a password reset link stays valid (Go duration, 5m to 24h)"},
	{"require-2fa", "USHER_REQUIRE_2FA", "off", "who must enrol in two-factor sign-in before reaching anything else: off, admins (anyone who administers a space) or all"},
	{"remind-before", "USHER_REMIND_BEFORE", "", "send one automatic reminder this long before expiry (Go duration; default off)"},
	{"session-idle", "USHER_SESSION_IDLE", "168h", "a session not used this long ends (Go duration)"},
	{"session-max", "USHER_SESSION_MAX", "720h", "a session ends this long after sign-in, used or not (Go duration; at least USHER_SESSION_IDLE)"},
	{"activity-retention", "USHER_ACTIVITY_RETENTION", "400", "days the activity log keeps an entry before it is deleted (0 keeps every entry forever)"},
	{"webhook-allow-private", "USHER_WEBHOOK_ALLOW_PRIVATE", "off", "let webhooks reach loopback, private and link-local addresses: on or off (off refuses them when connecting, against server-side request forgery)"},
	{"send-limit", "USHER_SEND_LIMIT", "200", "emails one administrator's actions may send per hour: invitations, resends and new invitations together"},
	{"trusted-proxies", "USHER_TRUSTED_PROXIES", "", "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is trusted (default none)"},
	{"default-language", "USHER_DEFAULT_LANGUAGE", "en", "language for people who have not chosen one and whose browser asks for none Usher speaks: " + strings.Join(languageCodes(), ", ")},
	{"pprof-addr", "USHER_PPROF_ADDR", "", "loopback host:port where Go's profiler (/debug/pprof/) answers, for finding where the CPU goes (default off)"},
	{"session-secret", "USHER_SESSION_SECRET", "", "session cookie key (default: generated into the data folder)"},
	{"link-secret", "USHER_LINK_SECRET", "", "key behind invitation links (default: generated into the data folder)"},
}

// Flags registers every setting on fs and returns a function that builds the
// validated Config once fs has been parsed. A flag wins over its variable.
// Variables are read only then, never made flag defaults: the usage text
// printed for -h or a mistyped flag would show their values, secrets included.
func Flags(fs *flag.FlagSet, getenv func(string) string) func() (*Config, error) {
	values := make(map[string]*string, len(settings))
	for _, s := range settings {
		values[s.env] = fs.String(s.flag, s.def, s.usage+" ["+s.env+"]")
	}
	return func() (*Config, error) {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		raw := make(map[string]string, len(settings))
		for _, s := range settings {
			v := *values[s.env]
			if e := getenv(s.env); e != "" && !given[s.flag] {
				v = e
			}
			raw[s.env] = strings.TrimSpace(v)
		}
		return parse(raw)
	}
}

// DataDir registers only the data folder setting, for commands that need no more.
func DataDir(fs *flag.FlagSet, getenv func(string) string) *string {
	def := "./data"
	if v := getenv("USHER_DATA_DIR"); v != "" {
		def = v
	}
	return fs.String("data-dir", def, "data folder [USHER_DATA_DIR]")
}

func parse(raw map[string]string) (*Config, error) {
	var c Config
	var errs []error
	bad := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", env, fmt.Sprintf(format, args...)))
	}

	c.Addr = raw["USHER_ADDR"]
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || port == "" {
		bad("USHER_ADDR", "%q is not a host:port listen address (example: localhost:8080)", c.Addr)
	}

	c.DataDir = raw["USHER_DATA_DIR"]
	if c.DataDir == "" {
		bad("USHER_DATA_DIR", "must not be empty")
	} else {
		c.DataDir = filepath.Clean(c.DataDir)
	}

	base := raw["USHER_BASE_URL"]
	if base == "" {
		// A wildcard listen address (":8080", "0.0.0.0:8080") is no place a
		// browser can open: links point at this machine instead.
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "localhost"
		}
		base = "http://" + net.JoinHostPort(host, port)
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		bad("USHER_BASE_URL", "%q is not an http(s) URL such as https://usher.example.com", base)
	} else {
		u.Path = strings.TrimRight(u.Path, "/")
		c.BaseURL = u
	}

	if s := raw["USHER_SMTP_URL"]; s != "" {
		u, err := url.Parse(s)
		switch {
		case err != nil:
			bad("USHER_SMTP_URL", "is not a URL (example: smtp://user:pass@mail.example.com:587)")
		case u.Scheme != "smtp" && u.Scheme != "smtps":
			bad("USHER_SMTP_URL", "scheme must be smtp:// or smtps://, not %q", u.Scheme)
		case u.Hostname() == "":
			bad("USHER_SMTP_URL", "has no host (example: smtp://user:pass@mail.example.com:587)")
		default:
			if tls := u.Query().Get("tls"); tls != "" && tls != "required" && tls != "opportunistic" {
				bad("USHER_SMTP_URL", "tls=%q: use tls=required or leave it out", tls)
			}
			c.SMTPURL = u
		}
	}

	if a, err := mail.ParseAddress(raw["USHER_MAIL_FROM"]); err != nil {
		bad("USHER_MAIL_FROM", "%q is not an address such as Usher <no-reply@example.com>", raw["USHER_MAIL_FROM"])
	} else {
		c.MailFrom = a
	}

	if d, ok := duration(raw, "USHER_INVITE_TTL", bad); ok {
		c.InviteTTL = d
		switch {
		case d <= 0:
			bad("USHER_INVITE_TTL", "must be positive")
		case d < time.Minute:
			bad("USHER_INVITE_TTL", "%s is too short; use at least 1m", d)
		}
	}
	if d, ok := duration(raw, "USHER_RESET_TTL", bad); ok {
		c.ResetTTL = d
		if d < 5*time.Minute || d > 24*time.Hour {
			bad("USHER_RESET_TTL", "%s is out of range; use between 5m and 24h", d)
		}
	}
	switch v := strings.ToLower(strings.TrimSpace(raw["USHER_REQUIRE_2FA"])); v {
	case RequireOff, RequireAdmins, RequireAll:
		c.RequireTwoFactor = v
	default:
		bad("USHER_REQUIRE_2FA", "%q is not one of off, admins, all", raw["USHER_REQUIRE_2FA"])
	}
	if raw["USHER_REMIND_BEFORE"] != "" {
		c.RemindBefore, _ = duration(raw, "USHER_REMIND_BEFORE", bad)
		if c.RemindBefore < 0 || (c.InviteTTL > 0 && c.RemindBefore >= c.InviteTTL) {
			bad("USHER_REMIND_BEFORE", "must be positive and shorter than USHER_INVITE_TTL (%s)", c.InviteTTL)
		}
	}

	idle, idleOK := duration(raw, "USHER_SESSION_IDLE", bad)
	maxAge, maxOK := duration(raw, "USHER_SESSION_MAX", bad)
	switch {
	case idleOK && idle <= 0:
		bad("USHER_SESSION_IDLE", "must be positive")
	case maxOK && maxAge <= 0:
		bad("USHER_SESSION_MAX", "must be positive")
	case idleOK && maxOK && idle > maxAge:
		bad("USHER_SESSION_IDLE", "%s is longer than USHER_SESSION_MAX (%s); a session cannot stay idle longer than it may live", raw["USHER_SESSION_IDLE"], raw["USHER_SESSION_MAX"])
	default:
		c.SessionIdle, c.SessionMax = idle, maxAge
	}

	// At most a century: a bound AddDate cannot overflow.
	if n, err := strconv.Atoi(raw["USHER_ACTIVITY_RETENTION"]); err != nil || n < 0 || n > maxRetentionDays {
		bad("USHER_ACTIVITY_RETENTION", "%q is not a whole number of days from 0 (keep forever) to %d", raw["USHER_ACTIVITY_RETENTION"], maxRetentionDays)
	} else {
		c.ActivityRetention = n
	}

	switch strings.ToLower(raw["USHER_WEBHOOK_ALLOW_PRIVATE"]) {
	case "off", "false", "0", "no", "":
	case "on", "true", "1", "yes":
		c.WebhookAllowPrivate = true
	default:
		bad("USHER_WEBHOOK_ALLOW_PRIVATE", "%q is neither on nor off", raw["USHER_WEBHOOK_ALLOW_PRIVATE"])
	}

	if n, err := strconv.Atoi(raw["USHER_SEND_LIMIT"]); err != nil || n < 1 {
		bad("USHER_SEND_LIMIT", "%q is not a whole number of emails, at least 1", raw["USHER_SEND_LIMIT"])
	} else {
		c.SendLimit = n
	}

	if code := raw["USHER_DEFAULT_LANGUAGE"]; i18n.Default().Has(code) {
		c.DefaultLanguage = code
	} else {
		bad("USHER_DEFAULT_LANGUAGE", "%q is not a language Usher speaks; use one of %s", code, strings.Join(languageCodes(), ", "))
	}

	for _, p := range strings.Split(raw["USHER_TRUSTED_PROXIES"], ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			if ip := net.ParseIP(p); ip != nil && ip.To4() != nil {
				p += "/32"
			} else {
				p += "/128"
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			bad("USHER_TRUSTED_PROXIES", "%q is not an address or CIDR range such as 10.0.0.0/8", p)
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}

	if a := raw["USHER_PPROF_ADDR"]; a != "" {
		// The profiler shows memory and stacks: never beyond this machine.
		h, _, err := net.SplitHostPort(a)
		if ip := net.ParseIP(h); err != nil || (h != "localhost" && (ip == nil || !ip.IsLoopback())) {
			bad("USHER_PPROF_ADDR", "%q is not a loopback host:port such as 127.0.0.1:6060", a)
		}
		c.PprofAddr = a
	}

	c.SessionSecret = raw["USHER_SESSION_SECRET"]
	c.LinkSecret = raw["USHER_LINK_SECRET"]
	for _, env := range []string{"USHER_SESSION_SECRET", "USHER_LINK_SECRET"} {
		if v := raw[env]; v != "" && len(v) < 32 {
			bad(env, "must be at least 32 characters (for example the output of `openssl rand -hex 32`)")
		}
	}

	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid settings:\n  %w", errors.Join(errs...))
	}
	return &c, nil
}

// duration parses one duration setting, reporting it when it is not one.
func duration(raw map[string]string, env string, bad func(string, string, ...any)) (time.Duration, bool) {
	d, err := time.ParseDuration(raw[env])
	if err != nil {
		bad(env, "%q is not a duration such as 168h or 30m", raw[env])
		return 0, false
	}
	return d, true
}

// languageCodes are the languages Usher speaks, by code.
func languageCodes() []string {
	var out []string
	for _, l := range i18n.Default().Locales() {
		out = append(out, l.Code)
	}
	return out
}
