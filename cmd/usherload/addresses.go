package main

import (
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/usherhq/usher/internal/demo"
)

// The distinct scenarios never ask for one address twice in a run, as
// administrators do not: every keystroke of a search is a new address,
// and so is a jump to page 731 sorted by email. Whatever Usher keeps of
// a page it made cannot answer them; each is a page made from the
// database.

// typedSearches are searches typed keystroke by keystroke: for each demo
// name, in a shuffled order, the list as it is after each letter ("m",
// "ma", "mar", … "maria silva"), skipping what was already asked.
func typedSearches(seed uint64) []string {
	names := demo.FullNames()
	r := rand.New(rand.NewPCG(seed, 1))
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		n = strings.ToLower(n)
		for i := range n {
			if i == 0 {
				continue
			}
			if q := strings.TrimSpace(n[:i]); !seen[q] {
				seen[q] = true
				out = append(out, "/settings/users?q="+url.QueryEscape(q))
			}
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, "/settings/users?q="+url.QueryEscape(n))
		}
	}
	return out
}

// sorts are the list's orders, as its address names them.
var sorts = []string{"name", "email", "status", "joined", "signin"}

// pagesOf is every page of a tab (status, "" for All)
// under every sort and direction, shuffled.
func pagesOf(seed uint64, tabs map[string]int) []string {
	var out []string
	for _, status := range sortedKeys(tabs) {
		for _, s := range sorts {
			for _, desc := range []bool{false, true} {
				for p := 1; p <= tabs[status]; p++ {
					v := url.Values{"sort": {s}, "page": {strconv.Itoa(p)}}
					if status != "" {
						v.Set("status", status)
					}
					if desc {
						v.Set("dir", "desc")
					}
					out = append(out, "/settings/users?"+v.Encode())
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(seed, 2))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func sortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out { // a handful: insertion sort
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// addresses hands out a list's addresses in turn, each once, to every
// client and round of a scenario. Should a run ask for more than the list
// holds, it starts over, and the table says how many were repeated.
type addresses struct {
	mu   sync.Mutex
	list []string
	n    int // handed out so far
}

func (a *addresses) take() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.list[a.n%len(a.list)]
	a.n++
	return s
}

// repeated is how many addresses were handed out a second time.
func (a *addresses) repeated() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return max(0, a.n-len(a.list))
}
