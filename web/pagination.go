package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/views/components"
)

// maxPage bounds page numbers from the address: far past any real list
// (50 million rows), and far from overflowing an offset.
const maxPage = 1_000_000

// pageParam is the page number in the query parameter name: 1 when it is
// missing or makes no sense.
func pageParam(c echo.Context, name string) int {
	n, err := strconv.Atoi(c.QueryParam(name))
	if err != nil || n < 1 {
		return 1
	}
	return min(n, maxPage)
}

// pagination describes page (from 1) of a list of total items, perPage to
// a page and shown on this one; href is a page's address.
func pagination(page, perPage, shown, total int, href func(page int) string) components.Pages {
	p := components.Pages{Total: total}
	if shown > 0 {
		p.From = (page-1)*perPage + 1
		p.To = p.From + shown - 1
	}
	if page > 1 {
		p.Prev = href(page - 1)
	}
	if page*perPage < total {
		p.Next = href(page + 1)
	}
	return p
}

// pageNumbers links the first page, the last, and two either side of the
// current one, with gaps between.
func pageNumbers(cur, last int, href func(page int) string) []components.PageLink {
	if last <= 1 {
		return nil
	}
	var out []components.PageLink
	prev := 0
	for p := 1; p <= last; p++ {
		if p == 1 || p == last || (p >= cur-2 && p <= cur+2) {
			if prev != 0 && p != prev+1 {
				out = append(out, components.PageLink{Gap: true})
			}
			out = append(out, components.PageLink{Number: p, Href: href(p), Current: p == cur})
			prev = p
		}
	}
	return out
}
