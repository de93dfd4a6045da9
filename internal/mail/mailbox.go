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

// BoxPerPage is how many messages a page of the built-in mailbox lists.
const BoxPerPage = 50

// BoxFilter selects a page of the built-in mailbox, newest first.
type BoxFilter struct {
	Search string // recipient or subject contains; "" for every message
	Page   int    // from 1
}

// BoxPage is one page of the built-in mailbox, and how many messages
// match in all.
type BoxPage struct {
	Messages []Message
	Total    int
}
