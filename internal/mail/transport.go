package mail

import (
	"context"
	"errors"
)

// Transport hands a rendered message to whatever delivers it. reply is the
// server's answer, kept in the message's history. A failure should be a
// *SendError saying whether retrying can help; any other error counts as
// temporary.
type Transport interface {
	Send(ctx context.Context, to string, m Rendered) (reply string, err error)
}

// Capturer is a Transport that keeps messages instead of delivering them
// (the built-in mailbox): the sender records them as Captured, not Sent.
type Capturer interface {
	Transport
	Capturing() bool
}

// SendError is a delivery that failed, classified for the retry policy.
type SendError struct {
	Permanent bool   // retrying cannot help: the server rejected the message for good
	Reply     string // the server's reply, or a sentence about what went wrong
	Err       error  // the cause
	// Outage is set when the server could not be reached or used at all
	// (connection, TLS, login, no answer): not about this message, so
	// every message fails alike until it works again.
	Outage bool
}

func (e *SendError) Error() string {
	switch {
	case e.Reply != "":
		return e.Reply
	case e.Err != nil:
		return e.Err.Error()
	}
	return "sending failed"
}

func (e *SendError) Unwrap() error { return e.Err }

// IsPermanent reports whether err says that retrying cannot help. Errors
// that say nothing either way are temporary, so a message is retried rather
// than lost.
func IsPermanent(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Permanent
}

// IsOutage reports whether err says the mail server could not be used at
// all. An error that says nothing either way counts as one: the
// transport failed, not the message.
func IsOutage(err error) bool {
	var se *SendError
	return !errors.As(err, &se) || se.Outage
}

// replyOf is the sentence kept for a failed attempt.
func replyOf(err error) string {
	var se *SendError
	if errors.As(err, &se) && se.Reply != "" {
		return se.Reply
	}
	return err.Error()
}

// SessionOpener is a Transport that can deliver many messages over one
// connection. The sender opens a session for each round of due messages.
type SessionOpener interface {
	Transport
	OpenSession() Session
}

// Session delivers messages one after another, reusing what it can (a
// connection) between them. Each Send is bounded by its own context, as
// Transport.Send is. A session is used by one goroutine at a time.
type Session interface {
	Send(ctx context.Context, to string, m Rendered) (reply string, err error)
	Close() error
}
