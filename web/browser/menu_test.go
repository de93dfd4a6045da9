package browser_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// A refused row action ends the menu like any other: after Resend within
// the cooldown the ••• says its menu is closed, holds the focus the item
// had, and the next click on it opens the menu again.
func TestMenuClosesAfterRefusedAction(t *testing.T) {
	_, _, admin, _ := invitedBo(t, true)
	btn := `document.querySelector(` + js(string(menuButton(bo))) + `)`
	menu := `document.querySelector(` + js(string(menuList(bo))) + `)`

	admin.openMenu(bo)
	admin.choose(bo, "Resend invitation link") // within a minute of the invitation
	admin.waitFor("the cooldown's banner",
		`(() => { const b = document.querySelector("#banner .banner-error"); return !!b && b.textContent.includes("sent moments ago") })()`)
	if got := eval[string](admin, btn+`.getAttribute("aria-expanded")`); got != "false" {
		t.Errorf("after a refused Resend aria-expanded = %q, want false", got)
	}
	if eval[bool](admin, `!`+menu+`.hidden`) {
		t.Error("after a refused Resend the menu is still open")
	}
	if !eval[bool](admin, `document.activeElement === `+btn) {
		t.Errorf("focus should return to the ••• button; it is on %q", eval[string](admin, `document.activeElement.outerHTML.slice(0, 120)`))
	}

	admin.do("click ••• again", chromedp.Click(menuButton(bo)))
	if !eval[bool](admin, `!`+menu+`.hidden && `+btn+`.getAttribute("aria-expanded") === "true"`) {
		t.Fatal("the next click on ••• should open the menu")
	}
}
