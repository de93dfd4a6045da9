// Package components holds the pieces pages share: banner, menu, time,
// pagination.
package components

import (
	"fmt"
	"time"
)

// Ago says how long before now t was, as people say it: "just now",
// "5 minutes ago", "yesterday", "3 days ago".
func Ago(now, t time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 48*time.Hour:
		return "yesterday"
	case d < 60*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
	return "on " + t.UTC().Format("2 Jan 2006")
}

// In says how long after now t is: "in 6 days", "in 3 hours", "tomorrow".
func In(now, t time.Time) string {
	d := t.Sub(now)
	switch {
	case d <= 0:
		return Ago(now, t)
	case d < time.Minute:
		return "in less than a minute"
	case d < time.Hour:
		return "in " + plural(int((d+time.Minute-1)/time.Minute), "minute")
	case d < 24*time.Hour:
		return "in " + plural(int((d+30*time.Minute)/time.Hour), "hour")
	case d < 48*time.Hour:
		return "tomorrow"
	}
	// Round to the nearest day: a link sent a moment ago expires "in 7 days".
	return "in " + plural(int((d+12*time.Hour)/(24*time.Hour)), "day")
}

// Exact is the full time, for tooltips and datetime attributes' readers.
func Exact(t time.Time) string { return t.UTC().Format("Mon 2 Jan 2006, 15:04 UTC") }

// ISO is the machine-readable time for <time datetime>.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func plural(n int, unit string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
