package i18n

import "testing"

// Number writes counts itself (grouped) where the printer would write
// the same, in every language of the catalogue.
func TestNumberAsThePrinterWrites(t *testing.T) {
	t.Parallel()
	for _, l := range Default().Locales() {
		if l.group == "" {
			t.Errorf("%s: numbers are not written in groups of three (groupOf)", l.Code)
		}
		for _, n := range []int{0, 7, 999, 1000, -1000, 1001, 12345, 100000, 999999, 1000000, -1234567, 20000, 1 << 40} {
			if got, want := l.Number(n), l.printer.Sprintf("%d", n); got != want {
				t.Errorf("%s: Number(%d) = %q, the printer writes %q", l.Code, n, got, want)
			}
		}
	}
}
