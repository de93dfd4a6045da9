package db

import (
	"bytes"
	"math/bits"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/usherhq/usher/internal/users"
)

// Searching the list's order kept in memory (issue 19). SQLite answers a
// search from its indexes (users_search for three characters or more,
// users_grams for fewer), but counting the matches of every tab reads
// every match's rowid: 8.8 ms for "m" in 100,000 users, and every
// keystroke is a new search. The order in memory holds each user's name
// and email as SQLite's lower() folds them (A-Z only), each followed by a
// NUL, one after the other in one text. A search is then one bytes.Index
// along that text, which jumps from match to match, and a bit per user it
// finds; the tabs are counted from those bits, and a page is walked to
// along an order, or sorted from the few users found.
//
// It must find what SQLite finds. For a query of ASCII characters it does:
// LIKE and users_grams fold A-Z only, and so does the text; the trigram
// index folds the case of other letters too, but no such letter folds to
// an ASCII one, but for the few foldsToASCII names (the Kelvin sign, the
// long s, the dotted capital I). Queries with other letters ("élodie"),
// or while anyone's name has one of those few, are answered by SQLite.

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
func foldsToASCII(s string) bool {
	for _, r := range s {
		if r < utf8.RuneSelf {
			continue
		}
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
	sel := newSelection(len(x.entries))
	needle := []byte(lowerASCII(q))
	text, segs := x.text, x.segs
	n, k, pos := 0, 0, 0
	for {
		at := bytes.Index(text[pos:], needle)
		if at < 0 {
			return sel, n
		}
		p := uint32(pos + at)
		// The user whose strings hold p: the last seg starting at or
		// before it, a step or two on when matches are dense.
		for step := 0; k+1 < len(segs) && segs[k+1].off <= p; step++ {
			if step == 4 {
				k += sortSearchSegs(segs[k+1:], p)
				break
			}
			k++
		}
		if i := segs[k].slot; !sel.has(i) {
			sel.add(i)
			n++
		}
		if k+1 == len(segs) {
			return sel, n
		}
		pos = int(segs[k+1].off) // on to the next user's strings
	}
}

// sortSearchSegs is how many of segs start at or before p.
func sortSearchSegs(segs []seg, p uint32) int {
	i, _ := slices.BinarySearchFunc(segs, p+1, func(s seg, t uint32) int {
		if s.off < t {
			return -1
		}
		return 1
	})
	return i
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
// holds f.Holding, and the ids of the page with who invited each. It
// reports false when the order cannot answer f (spaces, or a search it
// cannot make), under x.mu (read).
func (x *listIndex) listMem(f users.ListFilter, page *users.ListPage) ([]int64, []inviter, bool) {
	q := searchText(f.Query)
	if f.SpaceIDs != nil || q != "" && !x.searchable(q) {
		return nil, nil, false
	}
	now := f.Now.Unix()
	active, invited, expired, deactivated, next := x.counts(now)
	var sel selection // nil: every user
	n := len(x.byID)
	if q != "" {
		sel, n = x.match(q)
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
		return nil, nil, true // past the last page
	}
	slots := x.page(f, sel, n)
	ids, by := make([]int64, len(slots)), make([]inviter, len(slots))
	for k, i := range slots {
		ids[k], by[k] = x.entries[i].id, x.invitedBy(i)
	}
	return ids, by, true
}
