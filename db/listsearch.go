package db

import (
	"bytes"
	"math/bits"
	"strings"
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
// email hold: a bit per character in uni (exactly one per letter, digit and
// the usual signs, shared for the others), and a bit per pair in bi, which
// 128 bits share.
type sig struct {
	uni uint64
	bi  [2]uint64
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
		g.uni |= 1 << uniBit(s[i])
		if i > 0 {
			b := biBit(s[i-1], s[i])
			g.bi[b>>6] |= 1 << (b & 63)
		}
	}
	return g
}

func (g sig) or(h sig) sig {
	return sig{uni: g.uni | h.uni, bi: [2]uint64{g.bi[0] | h.bi[0], g.bi[1] | h.bi[1]}}
}

// holds says whether g may hold what q's sig is: it does when it has
// every bit of it.
func (g *sig) holds(q *sig) bool {
	return g.uni&q.uni == q.uni && g.bi[0]&q.bi[0] == q.bi[0] && g.bi[1]&q.bi[1] == q.bi[1]
}

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
	sel := newSelection(len(x.entries))
	needle := []byte(lowerASCII(q))
	want := sigOf(needle)
	exact := len(needle) == 1 && uniBit(needle[0]) < uniExact
	n := 0
	for i := range x.sigs {
		if !x.sigs[i].holds(&want) {
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
// holds f.Holding, and the ids of the page with who invited each. A
// search's matches are found here, or given (matches, from searchIDs,
// with searched set). It reports false when the order cannot answer f
// (spaces, or a search it cannot make and was not given), under x.mu
// (read).
func (x *listIndex) listMem(f users.ListFilter, page *users.ListPage, matches []int64, searched bool) ([]int64, []inviter, bool) {
	q := searchText(f.Query)
	if f.SpaceIDs != nil || q != "" && !searched && !x.searchable(q) {
		return nil, nil, false
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
