// Package errs defines the error codes the whole application speaks, so the
// web layer can map any domain failure to a status and a sentence without
// matching on error strings.
package errs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/usherhq/usher/internal/i18n"
)

// Code classifies an error for the edge that reports it.
type Code string

const (
	Invalid      Code = "invalid"      // the input is wrong; the message says how
	NotFound     Code = "not_found"    // nothing there, or nothing the caller may see
	Conflict     Code = "conflict"     // the action does not fit the current state
	Forbidden    Code = "forbidden"    // signed in, but not allowed
	Unauthorized Code = "unauthorized" // not signed in
	TooMany      Code = "too_many"     // rate limited; the message says when to retry
	Internal     Code = "internal"     // a bug or an outage; details stay in the log
)

// Error is a domain error with a user-facing message.
type Error struct {
	Code    Code
	Message string // safe to show to the user; in the source language, for the log
	// ID and Args are the message in the catalogue (internal/i18n), so
	// that each person reads it in their language (Say).
	ID    string
	Args  []any
	Field string // the form field the message is about, if any
	Err   error  // the cause, for the log only
	// RetryAfter is, for TooMany, how long to wait (zero: not known).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// T builds an Error saying catalogue message id, its placeholders filled
// from name/value pairs (i18n.Locale.T).
//
// A "Count" pair with an int picks the message's plural form.
func T(code Code, id string, kv ...any) *Error {
	e := &Error{Code: code, ID: id, Args: kv}
	e.Message = e.in(i18n.Default().Locale(i18n.Source))
	return e
}

// in is e's sentence in l.
func (e *Error) in(l *i18n.Locale) string {
	for i := 0; i+1 < len(e.Args); i += 2 {
		if name, _ := e.Args[i].(string); name == "Count" {
			if n, ok := e.Args[i+1].(int); ok {
				return l.N(e.ID, n, e.Args...)
			}
		}
	}
	return l.T(e.ID, e.Args...)
}

// FieldT is an Invalid error about one form field, saying message id.
func FieldT(field, id string, kv ...any) *Error {
	e := T(Invalid, id, kv...)
	e.Field = field
	return e
}

// WaitT is a TooMany error saying how long to wait, saying message id.
func WaitT(d time.Duration, id string, kv ...any) *Error {
	e := T(TooMany, id, kv...)
	e.RetryAfter = d
	return e
}

// RetryAfterOf is how long err says to wait, if it says.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// Wrap marks an unexpected failure as Internal, keeping the cause for the log.
func Wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	w := T(Internal, internalID)
	w.Err = fmt.Errorf("%s: %w", what, err)
	return w
}

// CodeOf returns the code of err, or Internal for errors without one.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// internalID is what an error without a sentence of its own says.
const internalID = "error.internal"

// MessageOf returns the user-facing sentence of err in the source
// language, as the log and the command line say it.
func MessageOf(err error) string {
	return Say(context.Background(), err)
}

// Say is the user-facing sentence of err in the language ctx speaks.
func Say(ctx context.Context, err error) string {
	var e *Error
	if errors.As(err, &e) {
		if e.ID != "" {
			return e.in(i18n.From(ctx))
		}
		if e.Message != "" {
			return e.Message
		}
	}
	return i18n.T(ctx, internalID)
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }
