package components

import (
	"fmt"
	"testing"
)

func TestList(t *testing.T) {
	many := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprint(i+1))
		}
		return out
	}
	tests := map[int]string{
		0:  "",
		1:  "1",
		2:  "1 and 2",
		3:  "1, 2 and 3",
		4:  "1, 2, 3 and 4",
		5:  "1, 2, 3 and 2 others",
		50: "1, 2, 3 and 47 others",
	}
	for n, want := range tests {
		if got := List(many(n)); got != want {
			t.Errorf("List of %d = %q, want %q", n, got, want)
		}
	}
}
