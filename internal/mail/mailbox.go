package mail

import "context"

// Mailbox is the transport when no SMTP server is configured: it delivers
// nothing, so messages stay in the outbox as Captured, where account
// administrators read them in the built-in mailbox page. The sender writes
// each captured message's link to the log, so the default run works end to
// end without a mail server.
type Mailbox struct{}

var _ Capturer = Mailbox{}

// Send keeps the message where it is.
func (Mailbox) Send(ctx context.Context, to string, m Rendered) (string, error) {
	return "Kept in the built-in mailbox: no SMTP server is configured.", nil
}

// Capturing marks the mailbox as keeping messages rather than sending them.
func (Mailbox) Capturing() bool { return true }
