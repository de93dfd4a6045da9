package components

import (
	"strconv"
	"strings"
)

// named is how many items a List names before it counts the rest.
const named = 3

// List joins items as a sentence does: "a", "a and b", "a, b and c", "a,
// b, c and d"; from five on it names the first three and counts the rest,
// "a, b, c and 47 others", so that a sentence about a whole form of
// addresses stays short enough for a banner.
func List(items []string) string {
	switch {
	case len(items) == 0:
		return ""
	case len(items) == 1:
		return items[0]
	case len(items) > named+1:
		return strings.Join(items[:named], ", ") + " and " + Count(len(items)-named) + " others"
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// Count writes a number as the pages show counts: digits in groups of
// three, "20,000".
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

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
