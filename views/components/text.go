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
		return strings.Join(items[:named], ", ") + " and " + strconv.Itoa(len(items)-named) + " others"
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
