// Package components holds the pieces pages share: banner, menu, time,
// pagination.
package components

import (
	"time"
)

// ISO is the machine-readable time for <time datetime>.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }
