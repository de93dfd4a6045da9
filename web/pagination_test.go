package web

import (
	"strconv"
	"testing"
)

func TestPagination(t *testing.T) {
	href := func(n int) string { return "?page=" + strconv.Itoa(n) }
	cases := []struct {
		name               string
		page, shown, total int
		from, to           int
		prev, next         string
	}{
		{"one page", 1, 3, 3, 1, 3, "", ""},
		{"first of three", 1, 10, 25, 1, 10, "", "?page=2"},
		{"middle", 2, 10, 25, 11, 20, "?page=1", "?page=3"},
		{"last", 3, 5, 25, 21, 25, "?page=2", ""},
		{"past the last", 5, 0, 25, 0, 0, "?page=4", ""},
		{"empty", 1, 0, 0, 0, 0, "", ""},
	}
	for _, c := range cases {
		p := pagination(c.page, 10, c.shown, c.total, href)
		if p.From != c.from || p.To != c.to || p.Total != c.total || p.Prev != c.prev || p.Next != c.next {
			t.Errorf("%s: %+v", c.name, p)
		}
	}
}

func TestPageNumbers(t *testing.T) {
	show := func(cur, last int) string {
		var out []byte
		for _, l := range pageNumbers(cur, last, func(int) string { return "" }) {
			switch {
			case l.Gap:
				out = append(out, '.')
			case l.Current:
				out = append(out, '[', byte('0'+l.Number), ']')
			default:
				out = append(out, byte('0'+l.Number))
			}
		}
		return string(out)
	}
	for _, c := range []struct {
		cur, last int
		want      string
	}{
		{1, 1, ""},
		{1, 2, "[1]2"},
		{1, 9, "[1]23.9"},
		{5, 9, "1.34[5]67.9"},
		{9, 9, "1.78[9]"},
		{4, 7, "123[4]567"},
	} {
		if got := show(c.cur, c.last); got != c.want {
			t.Errorf("page %d of %d: %q, want %q", c.cur, c.last, got, c.want)
		}
	}
}
