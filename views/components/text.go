package components

import (
	"time"

	"github.com/usherhq/usher/internal/i18n"
)

// List and Count are the English of i18n.Locale's List and Number, for
// the callers not yet given a language.
//
// Deprecated: use i18n.From(ctx).List.
func List(items []string) string { return i18n.Default().Locale(i18n.Source).List(items) }

// Count is i18n.Locale.Number in English.
//
// Deprecated: use i18n.From(ctx).Number.
func Count(n int) string { return i18n.Default().Locale(i18n.Source).Number(n) }

// Span is i18n.Locale.Span in English.
//
// Deprecated: use i18n.From(ctx).Span.
func Span(d time.Duration) string { return i18n.Default().Locale(i18n.Source).Span(d) }

// Ago is i18n.Locale.Ago in English.
//
// Deprecated: use i18n.From(ctx).Ago.
func Ago(now, t time.Time) string { return i18n.Default().Locale(i18n.Source).Ago(now, t) }

// Exact is i18n.Locale.Exact in English.
//
// Deprecated: use i18n.From(ctx).Exact.
func Exact(t time.Time) string { return i18n.Default().Locale(i18n.Source).Exact(t) }

// emailParts cuts an address after its @ and after each dot: the places a
// long address may break across lines (Email).
func emailParts(addr string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(addr); i++ {
		if addr[i] == '@' || addr[i] == '.' {
			parts = append(parts, addr[start:i+1])
			start = i + 1
		}
	}
	return append(parts, addr[start:])
}
