package invitations

import (
	"context"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/spaces"
)

// ManyInput is the Invite user form: the same offer to each of Emails (a
// Name only with one), in the invitees' Language.
type ManyInput struct {
	Emails  []string
	Name    string
	Offered []spaces.Grant
	// Language is the invitees' language (an i18n code): their emails and
	// accept page speak it. "": the account's default.
	Language string
}

// InviteAll is InviteMany with the invitees' language, which must be one
// Usher speaks.
func (s *Service) InviteAll(ctx context.Context, actor Actor, in ManyInput) (Result, error) {
	if in.Language != "" && !i18n.Default().Has(in.Language) {
		return Result{}, errs.FieldT("language", "users.invite.language.unknown")
	}
	r, err := s.InviteMany(ctx, actor, in.Emails, in.Name, in.Offered)
	// The store does not keep the language yet: the invitations this form
	// sent speak the one it asked for.
	for i := range r.Sent {
		r.Sent[i].Language = in.Language
	}
	return r, err
}
