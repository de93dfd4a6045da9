package mail

import (
	"bytes"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"testing"
	"unicode/utf8"
)

// HeaderSafe leaves nothing that could end a header line, and only
// replaces: the text keeps its length in characters.
//
// ASVS 5.0: V1.3.11 (no SMTP injection).
func FuzzHeaderSafe(f *testing.F) {
	for _, s := range []string{"Ana Silva", "Ana\r\nBcc: evil@example.com", "A\x00B\u2028C\u2029D", "Zoë Ünal", "\r", "\n.\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := HeaderSafe(s)
		if strings.ContainsAny(out, "\r\n\x00\u2028\u2029") {
			t.Fatalf("HeaderSafe(%q) = %q still ends a line", s, out)
		}
		if utf8.RuneCountInString(out) != utf8.RuneCountInString(s) {
			t.Fatalf("HeaderSafe(%q) = %q changed the length", s, out)
		}
	})
}

// The message the SMTP transport writes, whatever the names, subject and
// bodies hold: headers parse, no header value holds a line break, there is
// exactly one recipient (the one given) and one sender, and no header was
// added. A recipient is accepted only as one bare address.
//
// ASVS 5.0: V1.3.11 (no SMTP or header injection), V2.2.1.
func FuzzMessage(f *testing.F) {
	f.Add("Usher", "Ana\r\nBcc: evil@example.com", "text", "<p>html</p>", "ana@example.com")
	f.Add("Usher\r\nBcc: evil@example.com", "Subject\nCc: x@example.com", "\r\n.\r\n", "", "ana@example.com>\r\nRCPT TO:<evil@example.com")
	f.Add("Zoë, \"Ünal\" <x@y>", "=?utf-8?q?a=0D=0AB?=", "", "", "ana@example.com, eve@example.com")
	f.Add("", "", "", "", "<ana@example.com>")
	want := map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true,
		"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true, "Auto-Submitted": true}
	f.Fuzz(func(t *testing.T, fromName, subject, text, html, to string) {
		t0 := &SMTP{From: &netmail.Address{Name: fromName, Address: "no-reply@usher.example"}}
		rcpt, err := bareAddress(to)
		if err != nil {
			rcpt = "ana@example.com"
		} else if strings.ContainsAny(rcpt, "\r\n\x00,;<> ") || rcpt != to {
			t.Fatalf("bareAddress(%q) = %q: not one bare address", to, rcpt)
		}
		raw, err := t0.message(rcpt, Rendered{Subject: subject, Text: text, HTML: html})
		if err != nil {
			return // refused, never sent
		}
		head, _, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
		if !ok {
			t.Fatalf("no end of headers:\n%q", raw)
		}
		msg, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("the headers do not parse: %v\n%q", err, head)
		}
		for name, vals := range msg.Header {
			if !want[name] || len(vals) != 1 {
				t.Fatalf("header %s %q: unexpected or repeated\n%q", name, vals, head)
			}
			if strings.ContainsAny(vals[0], "\r\n") {
				t.Fatalf("header %s holds a line break: %q", name, vals[0])
			}
		}
		// Every header line starts a header or continues one (folding).
		for _, line := range strings.Split(string(head), "\r\n") {
			name, _, found := strings.Cut(line, ":")
			if !found && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t") {
				t.Fatalf("stray header line %q\n%q", line, head)
			}
			if found && !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t") && !want[textproto.CanonicalMIMEHeaderKey(name)] {
				t.Fatalf("added header line %q\n%q", line, head)
			}
		}
		toList, err := msg.Header.AddressList("To")
		if err != nil || len(toList) != 1 || toList[0].Address != rcpt {
			t.Fatalf("To %q reads as %v (err %v), want only %s", msg.Header.Get("To"), toList, err, rcpt)
		}
		// net/mail cannot always read back the names it encodes (a backslash
		// among non-ASCII letters), so a From that does not parse is only
		// required to end with the sender's address.
		from := msg.Header.Get("From")
		fromList, err := msg.Header.AddressList("From")
		if (err == nil && (len(fromList) != 1 || fromList[0].Address != "no-reply@usher.example")) || !strings.HasSuffix(from, "<no-reply@usher.example>") {
			t.Fatalf("From %q reads as %v (err %v), want only no-reply@usher.example", from, fromList, err)
		}
	})
}
