// Package components holds the pieces pages share: banner, menu, time,
// pagination.
package components

import (
	"fmt"
	"strings"
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

// Span says how long d is, to the minute: "7 days", "1 day and 12 hours",
// "1 hour and 30 minutes".
func Span(d time.Duration) string {
	d = d.Round(time.Minute)
	var parts []string
	for _, u := range []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}} {
		if n := int(d / u.size); n > 0 {
			parts = append(parts, plural(n, u.name))
			d -= time.Duration(n) * u.size
		}
	}
	switch len(parts) {
	case 0:
		return "less than a minute"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
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
