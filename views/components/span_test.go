package components

import (
	"testing"
	"time"
)

func TestSpan(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		168 * time.Hour:              "7 days",
		24 * time.Hour:               "1 day",
		36 * time.Hour:               "1 day and 12 hours",
		time.Hour:                    "1 hour",
		90 * time.Minute:             "1 hour and 30 minutes",
		49*time.Hour + 5*time.Minute: "2 days, 1 hour and 5 minutes",
		time.Minute + 29*time.Second: "1 minute",
		20 * time.Second:             "less than a minute",
	} {
		if got := Span(d); got != want {
			t.Errorf("Span(%s) = %q, want %q", d, got, want)
		}
	}
}
