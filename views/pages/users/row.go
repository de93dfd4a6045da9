package users

import (
	"context"
	"io"

	"github.com/a-h/templ"

	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/views/components"
)

// UserRow is one row; htmx actions replace it whole. It is written in Go
// (components.Writer), not templ: a page has fifty, and templ's way of
// writing their values was a tenth of a page's CPU.
func UserRow(r Row) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		h := components.NewWriter(w)
		writeRow(h, i18n.From(ctx), r)
		return h.Err()
	})
}

func writeRow(h *components.Writer, loc *i18n.Locale, r Row) {
	id := r.userID()
	h.Raw(`<tr id="user-`)
	h.Raw(id)
	h.Raw(`">`)
	writeSelectCell(h, loc, r, id)
	h.Raw(`<td class="col-name">`)
	// The name (else the email) opens the user's page.
	if r.HasName {
		h.Raw(`<div class="user-name"><a href="/settings/users/`)
		h.Raw(id)
		h.Raw(`">`)
		h.Text(r.Name)
		h.Raw(`</a></div><div class="user-email">`)
		h.Email(r.Email)
		h.Raw(`</div>`)
	} else {
		h.Raw(`<div class="user-email"><a href="/settings/users/`)
		h.Raw(id)
		h.Raw(`">`)
		h.Email(r.Email)
		h.Raw(`</a></div>`)
	}
	if inv := r.Invite; inv != nil {
		h.Raw(`<div class="invite-line">`)
		invited := loc.Around("users.list.invited", "When")
		h.Text(invited[0])
		h.TimeAgo(loc, r.Now, inv.CreatedAt)
		h.Text(invited[1])
		h.Raw(` `)
		if inv.Reminded {
			writeAround(h, loc, "users.list.resent", func() { h.TimeAgo(loc, r.Now, inv.SentAt) })
		}
		h.Raw(`</div><div class="invite-line">`)
		if inv.Expired {
			writeAround(h, loc, "users.list.expired", func() { h.TimeAgo(loc, r.Now, inv.ExpiresAt) })
		} else {
			writeAround(h, loc, "users.list.expires", func() { h.TimeIn(loc, r.Now, inv.ExpiresAt) })
		}
		h.Raw(`</div>`)
		if inv.RenewalRequested {
			h.Raw(`<div class="renewal">`)
			h.Text(loc.T("users.list.renewal_requested"))
			h.Raw(`</div>`)
		}
	}
	h.Raw(`</td><td class="col-status"><span class="badge badge-`)
	h.Text(r.Status)
	h.Raw(`">`)
	h.Text(loc.T(r.StatusID))
	h.Raw(`</span> `)
	switch {
	case r.Invite != nil && r.Invite.DeliveryFailed:
		writeDeliveryNote(h, r, id, "delivery-failed", loc.T("users.list.delivery_failed"))
	case r.Invite != nil && r.Invite.Sending:
		writeDeliveryNote(h, r, id, "delivery-retrying", loc.T("users.list.delivery_retrying"))
	}
	h.Raw(`</td>`)
	switch {
	case r.Roles != "":
		h.Raw(`<td class="col-roles"><div>`)
		h.Text(r.Roles)
		h.Raw(`</div>`)
		if r.Offered != "" {
			writeOffered(h, loc, r)
		}
		h.Raw(`</td>`)
	case r.Offered != "":
		h.Raw(`<td class="col-roles col-offered">`)
		writeOffered(h, loc, r)
		h.Raw(`</td>`)
	default:
		h.Raw(`<td class="col-roles col-empty"><span class="muted">`)
		h.Text(loc.T("users.list.no_roles"))
		h.Raw(`</span></td>`)
	}
	if r.InvitedBy != "" {
		h.Raw(`<td class="col-invited-by">`)
		h.Text(r.InvitedBy)
		h.Raw(`</td>`)
	} else {
		h.Raw(`<td class="col-invited-by col-empty"><span aria-hidden="true" class="muted">—</span><span class="visually-hidden">`)
		h.Text(loc.T("users.list.not_invited"))
		h.Raw(`</span></td>`)
	}
	if !r.JoinedAt.IsZero() {
		h.Raw(`<td class="col-joined"><span class="joined-label">`)
		h.Text(loc.T("users.list.joined"))
		h.Raw(`</span>`)
		h.TimeAgo(loc, r.Now, r.JoinedAt)
		h.Raw(`</td>`)
	} else {
		h.Raw(`<td class="col-joined col-empty"><span class="muted">`)
		h.Text(loc.T("users.list.not_yet"))
		h.Raw(`</span></td>`)
	}
	if !r.LastSignIn.IsZero() {
		h.Raw(`<td class="col-signin">`)
		h.TimeAgo(loc, r.Now, r.LastSignIn)
		h.Raw(`</td>`)
	} else {
		h.Raw(`<td class="col-signin"><span class="muted">`)
		h.Text(loc.T("users.list.never"))
		h.Raw(`</span></td>`)
	}
	h.Raw(`<td class="col-actions">`)
	writeMenu(h, loc, r, id)
	h.Raw(`</td></tr>`)
}

// writeAround writes message id with its When written by when, where the
// language puts it, and a space after it (as the templ row did).
func writeAround(h *components.Writer, loc *i18n.Locale, id string, when func()) {
	parts := loc.Around(id, "When")
	h.Text(parts[0])
	when()
	h.Raw(` `)
	h.Text(parts[1])
}

// writeSelectCell is a row's checkbox, in the selection's form.
func writeSelectCell(h *components.Writer, loc *i18n.Locale, r Row, id string) {
	h.Raw(`<td class="col-select">`)
	if len(r.Actions) > 0 {
		h.Raw(`<input type="checkbox" form="` + BulkFormID + `" name="id" value="`)
		h.Raw(id)
		h.Raw(`" aria-label="`)
		h.Text(loc.T("bulk.row.select", "Email", r.Email))
		h.Raw(`" data-bulk-row>`)
	}
	h.Raw(`</td>`)
}

// writeOffered is the roles an invitation offers, in a row's Roles cell.
func writeOffered(h *components.Writer, loc *i18n.Locale, r Row) {
	h.Raw(`<div class="offered"><span class="offered-label">`)
	h.Text(loc.T("users.list.offered"))
	h.Raw("</span>\u00a0")
	h.Text(r.Offered)
	h.Raw(`</div>`)
}

// writeDeliveryNote says what became of the invitation's email, with the
// server's reply in a tooltip shown on hover and on keyboard focus, and
// read with the note by screen readers (WAI-ARIA tooltip pattern).
func writeDeliveryNote(h *components.Writer, r Row, id, class, label string) {
	h.Raw(`<div class="delivery `)
	h.Raw(class)
	h.Raw(`"><span class="tip" tabindex="0" aria-describedby="user-`)
	h.Raw(id)
	h.Raw(`-delivery">`)
	h.Text(label)
	h.Raw(`</span> <span class="tip-text" role="tooltip" id="user-`)
	h.Raw(id)
	h.Raw(`-delivery" lang="en">`)
	h.Text(r.Invite.DeliveryError)
	h.Raw(`</span></div>`)
}

// writeMenu is a row's ••• button and its menu. Without JavaScript the
// button is a link to a page listing the same actions.
func writeMenu(h *components.Writer, loc *i18n.Locale, r Row, id string) {
	if len(r.Actions) == 0 {
		return
	}
	label := loc.T("users.list.actions_for", "Email", r.Email)
	h.Raw(`<div class="menu" data-user-id="`)
	h.Raw(id)
	// The actions in order, menuSeparator between groups.
	h.Raw(`" data-actions="`)
	for i, a := range r.Actions {
		if i > 0 {
			h.Raw(" ")
			if a.Group != r.Actions[i-1].Group {
				h.Raw(menuSeparator + " ")
			}
		}
		h.Text(a.Path)
	}
	h.Raw(`"><button type="button" class="menu-button js-only" data-menu-button aria-haspopup="menu" aria-expanded="false" aria-label="`)
	h.Text(label)
	h.Raw(`">•••</button><noscript><a class="menu-button" href="/settings/users/`)
	h.Raw(id)
	h.Raw(`/actions" aria-label="`)
	h.Text(label)
	h.Raw(`">•••</a></noscript></div>`)
}
