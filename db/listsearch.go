package db

import (
	"bytes"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/usherhq/usher/internal/users"
)

// Searching the list's order kept in memory (issue 19). SQLite answers a
// search from its indexes (users_search for three characters or more,
// users_grams for fewer), but counting the matches of every tab reads
// every match's rowid: 8.8 ms for "m" in 100,000 users, and every
// keystroke is a new search. Scanning the names in memory for the query is
// no better: bytes.Index along 4 MB of names stops at every "m" of them
// (2 ms of a 4.4 ms search under load, profiled). So the order holds, for each user, a
// signature (sig) of the characters and pairs of characters in their name
// and email as SQLite's lower() folds them (A-Z only): a search tests
// each user's 24 bytes against the query's, and only those that hold all
// its pairs are looked at, for the query itself. A search of one letter or
// digit needs no look: its bit is that character alone. The tabs are then
// counted from a bit per user found, and a page is walked to along the
// sort's order, or sorted from the few users found.
//
// It must find what SQLite finds. For a query of ASCII characters it does:
// LIKE and users_grams fold A-Z only, and so does the text; the trigram
// index folds the case of other letters too, but no such letter folds to
// an ASCII one, but for the few foldsToASCII names (the Kelvin sign, the
// long s, the dotted capital I). Other queries ("élodie"), or any while a
// name has one of those few, take the matches' ids from SQLite's index,
// as a search there does (searchIDs), and count and page them here.

// sig is what characters, and pairs of characters, a user's name and
// email hold: in its first word a bit per character (exactly one per
// letter, digit and the usual signs, shared for the others), in the other
// two a bit per pair, which their 128 bits share.
type sig [3]uint64

// sigs are the users' sigs, by slot, a column per word: a search reads
// first the column where the query's sig has most bits, which leaves the
// fewest users to test further.
type sigs [3][]uint64

func makeSigs(n int) sigs {
	return sigs{make([]uint64, 0, n), make([]uint64, 0, n), make([]uint64, 0, n)}
}

// set makes g the sig of slot i, one past the last at most.
func (s *sigs) set(i slot, g sig) {
	for w := range s {
		if int(i) == len(s[w]) {
			s[w] = append(s[w], g[w])
		} else {
			s[w][i] = g[w]
		}
	}
}

// uniExact is how many characters have a bit of their own in sig.uni.
const uniExact = 43

func uniBit(c byte) uint {
	switch {
	case c >= 'a' && c <= 'z':
		return uint(c - 'a')
	case c >= '0' && c <= '9':
		return 26 + uint(c-'0')
	}
	if i := strings.IndexByte("@.-_ '+", c); i >= 0 {
		return 36 + uint(i)
	}
	return uniExact + uint(c)%(64-uniExact)
}

func biBit(a, b byte) uint {
	return uint((uint32(a)<<8 | uint32(b)) * 2654435761 >> 25) // 0..127
}

// sigOf is the sig of s, folded already.
func sigOf(s []byte) sig {
	var g sig
	for i := 0; i < len(s); i++ {
		g[0] |= 1 << uniBit(s[i])
		if i > 0 {
			b := biBit(s[i-1], s[i])
			g[1+b>>6] |= 1 << (b & 63)
		}
	}
	return g
}

func (g sig) or(h sig) sig { return sig{g[0] | h[0], g[1] | h[1], g[2] | h[2]} }

// selection is a set of users of the order, a bit per slot; nil is every
// user.
type selection []uint64

func newSelection(n int) selection { return make(selection, (n+63)/64) }

func (s selection) has(i slot) bool { return s == nil || s[i>>6]&(1<<(uint(i)&63)) != 0 }

func (s selection) add(i slot) { s[i>>6] |= 1 << (uint(i) & 63) }

// each calls fn for every slot in s, in order.
func (s selection) each(fn func(slot)) {
	for w, word := range s {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			fn(slot(w*64 + b))
			word &= word - 1
		}
	}
}

// foldsToASCII says whether s holds a letter other than A-Z that a
// case-insensitive comparison may take for an ASCII one.
func foldsToASCII(s []byte) bool {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		i += n
		if unicode.ToLower(r) < utf8.RuneSelf || unicode.ToUpper(r) < utf8.RuneSelf {
			return true
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < utf8.RuneSelf {
				return true
			}
		}
	}
	return false
}

// searchable says whether the order can answer a search for q (as
// searchText gives it), under x.mu (read).
func (x *listIndex) searchable(q string) bool { return x.odd == 0 && isASCII(q) }

// match gives the users whose name or email holds q, and how many, under
// x.mu (read).
func (x *listIndex) match(q string) (selection, int) {
	needle := lowerASCII(q)
	if sel, n, ok := x.narrow(needle); ok {
		return sel, n
	}
	sel, n := x.matchAll([]byte(needle))
	x.recent.keep(x.gen, needle, sel, n)
	return sel, n
}

// matchAll is match, testing every user.
func (x *listIndex) matchAll(needle []byte) (selection, int) {
	sel := newSelection(len(x.entries))
	want := sigOf(needle)
	exact := len(needle) == 1 && uniBit(needle[0]) < uniExact
	// The words in the order that tells most first.
	order := [3]int{0, 1, 2}
	slices.SortFunc(order[:], func(a, b int) int { return bits.OnesCount64(want[b]) - bits.OnesCount64(want[a]) })
	first, second, third := x.sigs[order[0]], x.sigs[order[1]], x.sigs[order[2]]
	m0, m1, m2 := want[order[0]], want[order[1]], want[order[2]]
	n := 0
	second, third = second[:len(first)], third[:len(first)]
	for i, w := range first {
		// One test of the three words, not three: most users pass the
		// first word, and a branch for each would be a guess half missed.
		if (w&m0^m0)|(second[i]&m1^m1)|(third[i]&m2^m2) != 0 {
			continue
		}
		if !exact {
			l := &x.entries[i]
			if !bytes.Contains(x.str(l.name), needle) && !bytes.Contains(x.str(l.email), needle) {
				continue
			}
		}
		sel.add(slot(i))
		n++
	}
	return sel, n
}

// narrow is match for needle (folded), from the matches of a search
// made before at this generation for a part of it: who holds "maria" is
// among those who hold "mari", and typing is a search for each keystroke.
// It reports false when no such search is kept, or when it found so many
// that testing them costs more than matchAll. The search for needle
// itself is not taken as it is (it is made again, from a part of it or
// from everyone): what is kept narrows, it does not answer an address
// asked again.
func (x *listIndex) narrow(needle string) (selection, int, bool) {
	from, had, ok := x.recent.within(x.gen, needle)
	if !ok || had > len(x.entries)/16 {
		// Testing each of many matches costs more than testing every
		// user's signature first, which passes over most of them.
		return nil, 0, false
	}
	sel := newSelection(len(x.entries))
	n := 0
	b := []byte(needle)
	from.each(func(i slot) {
		l := &x.entries[i]
		if bytes.Contains(x.str(l.name), b) || bytes.Contains(x.str(l.email), b) {
			sel.add(i)
			n++
		}
	})
	x.recent.keep(x.gen, needle, sel, n)
	return sel, n, true
}

// recentSearches are the matches of the last searches, each as of a
// generation of the order. A search of a slot's text is right only at
// the generation it was made: a slot may be another user's since.
type recentSearches struct {
	mu   sync.Mutex
	next int
	kept [64]keptSearch
}

type keptSearch struct {
	gen    uint64
	needle string // "": none
	sel    selection
	n      int
}

func (r *recentSearches) keep(gen uint64, needle string, sel selection, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := keptSearch{gen: gen, needle: needle, sel: sel, n: n}
	for i := range r.kept {
		if r.kept[i].gen == gen && r.kept[i].needle == needle {
			r.kept[i] = k // made again (a page after the first): kept once
			return
		}
	}
	r.kept[r.next] = k
	r.next = (r.next + 1) % len(r.kept)
}

// within gives the fewest matches kept at gen of a search for a part of
// needle (not needle itself), and how many they are.
func (r *recentSearches) within(gen uint64, needle string) (selection, int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	best := -1
	for i := range r.kept {
		k := &r.kept[i]
		if k.gen != gen || k.needle == "" || len(k.needle) >= len(needle) || !strings.Contains(needle, k.needle) {
			continue
		}
		if best < 0 || k.n < r.kept[best].n {
			best = i
		}
	}
	if best < 0 {
		return nil, 0, false
	}
	return r.kept[best].sel, r.kept[best].n, true
}

// found is the selection of the users ids (matches SQLite found), and how
// many of them the order holds, under x.mu (read).
func (x *listIndex) found(ids []int64) (selection, int) {
	sel := newSelection(len(x.entries))
	n := 0
	for _, id := range ids {
		if i, ok := x.byID[id]; ok && !sel.has(i) {
			sel.add(i)
			n++
		}
	}
	return sel, n
}

// inSpaces gives those of within (nil: every user) who hold a role in
// one of the spaces ids, or are offered one by a pending invitation, as
// spaceWhere selects them, and how many; under x.mu (read). A free slot
// holds neither (remove).
func (x *listIndex) inSpaces(ids []int64, within selection) (selection, int) {
	sel := newSelection(len(x.entries))
	n := 0
	in := func(sp grantSpan) bool {
		for _, g := range x.grants[sp.off : sp.off+sp.n] {
			if slices.Contains(ids, g.space) {
				return true
			}
		}
		return false
	}
	for i := range x.entries {
		l := &x.entries[i]
		if (in(l.grants) || l.invite != 0 && in(x.invites[l.invite-1].offered)) && within.has(slot(i)) {
			sel.add(slot(i))
			n++
		}
	}
	return sel, n
}

// tally counts the users of sel in each tab at now, as countQuery does for
// a search, under x.mu (read).
func (x *listIndex) tally(sel selection, now int64) (active, invited, expired, deactivated int) {
	sel.each(func(i slot) {
		l := &x.entries[i]
		switch {
		case l.rank == 0:
			active++
		case l.rank == 2:
			deactivated++
		case l.has&hasExpires == 0:
		case l.expires > now:
			invited++
		default:
			expired++
		}
	})
	return
}

// undelivered gives how many users of sel the Not delivered filter holds,
// and with pick set the selection of them, under x.mu (read): a pending
// invitation's newest email failed, and they are not deactivated
// (undeliveredWhere).
func (x *listIndex) undelivered(sel selection, pick bool) (selection, int) {
	if sel == nil && !pick {
		return nil, x.nUndelivered
	}
	var out selection
	if pick {
		out = newSelection(len(x.entries))
	}
	n := 0
	for i := range x.flagged {
		if x.entries[i].rank != 2 && sel.has(i) {
			if pick {
				out.add(i)
			}
			n++
		}
	}
	return out, n
}

// listMem is List from the order kept in memory: the counts, whether it
// holds f.Holding, and the page's rows. A
// search's matches are found here, or given (matches, from searchIDs,
// with searched set). It reports false when the order cannot answer f
// (a search it cannot make and was not given), under x.mu (read).
func (x *listIndex) listMem(f users.ListFilter, page *users.ListPage, matches []int64, searched bool) bool {
	q := searchText(f.Query)
	if q != "" && !searched && !x.searchable(q) {
		return false
	}
	now := f.Now.Unix()
	active, invited, expired, deactivated, next := x.counts(now)
	var sel selection // nil: every user
	n := len(x.byID)
	if q != "" {
		if searched {
			sel, n = x.found(matches)
		} else {
			sel, n = x.match(q)
		}
	}
	if f.SpaceIDs != nil {
		sel, n = x.inSpaces(f.SpaceIDs, sel)
	}
	if sel != nil {
		active, invited, expired, deactivated = x.tally(sel, now)
	}
	undelivered, nu := x.undelivered(sel, f.Undelivered)
	page.Undelivered = nu
	countPage(page, f, active, invited, expired, deactivated)
	if next != 0 {
		page.Until = time.Unix(next, 0).UTC()
	}
	if f.Undelivered {
		sel, n = undelivered, nu
	}
	if f.Holding != 0 {
		if i, ok := x.byID[f.Holding]; ok && sel.has(i) && inTab(&x.entries[i], f.Status, now) {
			page.Holds = true
		}
	}
	if (f.Page-1)*f.PerPage >= page.Total {
		return true // past the last page
	}
	slots := x.page(f, sel, n)
	if len(slots) > 0 {
		page.Rows = make([]users.Listed, 0, len(slots))
	}
	for _, i := range slots {
		page.Rows = append(page.Rows, x.row(i))
	}
	return true
}
