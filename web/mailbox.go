package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/mail"
	"github.com/usherhq/usher/views/pages/mailbox"
)

// mailbox lists the kept emails a page at a time, newest first, searched
// by recipient or subject (?q=, ?page=).
func (s *Server) mailbox(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	if len(q) > 200 {
		q = strings.ToValidUTF8(q[:200], "")
	}
	page := pageParam(c, "page")
	res, err := s.Mailbox.Mailbox(c.Request().Context(), mail.BoxFilter{Search: q, Page: page})
	if err != nil {
		return err
	}
	sh, err := s.shell(c, locale(c).T("mailbox.title"), "mailbox")
	if err != nil {
		return err
	}
	here := func(n int) string {
		v := url.Values{}
		if q != "" {
			v.Set("q", q)
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/dev/mailbox"
		}
		return "/dev/mailbox?" + v.Encode()
	}
	v := mailbox.List{Shell: sh, Now: s.Clock.Now(), Search: q, Total: res.Total, First: here(1)}
	for _, m := range res.Messages {
		subject := m.Subject
		if subject == "" {
			r, err := s.renderMessage(m)
			if err != nil {
				return err
			}
			subject = r.Subject
		}
		v.Items = append(v.Items, mailbox.Item{ID: m.ID, To: m.To, Subject: subject, At: m.CreatedAt, State: string(m.State)})
	}
	v.Pages = pagination(page, mail.BoxPerPage, len(v.Items), res.Total, here)
	v.Pages.Numbers = pageNumbers(page, (res.Total+mail.BoxPerPage-1)/mail.BoxPerPage, here)
	return s.render(c, http.StatusOK, mailbox.ListPage(v))
}

func (s *Server) renderMessage(m mail.Message) (mail.Rendered, error) {
	link := ""
	if m.Kind.HasLink() && len(m.LinkNonce) > 0 {
		link = s.Invitations.LinkFor(m.LinkNonce)
		if m.Kind == mail.PasswordReset {
			link = s.Resets.LinkFor(m.LinkNonce)
		}
	}
	r, err := s.Renderer.Render(m.Kind, m.Payload, link)
	return r, errs.Wrap(err, "rendering email")
}

func (s *Server) mailboxItem(c echo.Context) (mail.Message, mail.Rendered, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return mail.Message{}, mail.Rendered{}, errs.T(errs.NotFound, "mailbox.not_found")
	}
	m, err := s.Mailbox.Get(c.Request().Context(), id)
	if err != nil {
		return m, mail.Rendered{}, err
	}
	r, err := s.renderMessage(m)
	return m, r, err
}

func (s *Server) mailboxMessage(c echo.Context) error {
	m, r, err := s.mailboxItem(c)
	if err != nil {
		return err
	}
	sh, err := s.shell(c, r.Subject, "mailbox")
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, mailbox.MessagePage(mailbox.Message{
		Shell: sh, ID: m.ID, To: m.To, From: s.Config.MailFrom.String(), Subject: r.Subject, At: m.CreatedAt, Text: r.Text,
	}))
}

// emailCSP is the policy of an email's HTML part shown in the mailbox:
// its inline styles (as a mail client shows them), and nothing else — no
// script, no request, no form, a sandbox of its own; framed by the
// mailbox's page only.
const emailCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"

// mailboxHTML is an email's HTML part as it was sent, for the mailbox
// page's frame. A frame of its own rather than srcdoc: a srcdoc frame
// takes the page's policy, which refuses the email's inline styles.
func (s *Server) mailboxHTML(c echo.Context) error {
	_, r, err := s.mailboxItem(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Security-Policy", emailCSP)
	return c.HTMLBlob(http.StatusOK, []byte(r.HTML))
}
