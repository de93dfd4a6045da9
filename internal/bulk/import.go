package bulk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/usherhq/usher/internal/invitations"
	"github.com/usherhq/usher/internal/spaces"
)

// ReasonKnown: someone invited them, or they joined, after the preview.
const ReasonKnown Reason = "bulk.reason.known"

// importLine is an Import item's payload: a person of the file and what
// confirming does with them.
type importLine struct {
	Line     int            `json:"line"`
	Email    string         `json:"email"`
	Name     string         `json:"name,omitempty"`
	Language string         `json:"language,omitempty"`
	Offered  []spaces.Grant `json:"offered,omitempty"`
	// Do is "invite" (new), "resend" (pending) or "renew" (expired).
	Do     string `json:"do"`
	UserID int64  `json:"user_id,omitempty"`
}

// StartImport keeps the job of a CSV file's preview confirmed: each row
// ticked that can be done (lines, by line number), planned against the
// hourly send limit; refused as Start refuses. The same file confirmed
// again within SameClickWindow is the same job.
func (s *Service) StartImport(ctx context.Context, actor invitations.Actor, data []byte, p invitations.ImportPreview, lines map[int]bool) (Job, Plan, error) {
	var items []Item
	for _, r := range p.Rows {
		if !r.Actionable() || !lines[r.Line] {
			continue
		}
		l := importLine{Line: r.Line, Email: r.Email, Name: r.Name, Language: r.Language, Offered: r.Offered, Do: "invite", UserID: r.UserID}
		switch r.Outcome {
		case invitations.ImportPending:
			l.Do = "resend"
		case invitations.ImportExpired:
			l.Do = "renew"
		}
		payload, err := json.Marshal(l)
		if err != nil {
			return Job{}, Plan{}, err
		}
		items = append(items, Item{UserID: r.UserID, Payload: payload})
	}
	plan, err := s.PlanItems(ctx, actor, Import, items)
	if err != nil {
		return Job{}, plan, err
	}
	// The file and the lines ticked: the same form posted twice.
	h := sha256.New()
	h.Write([]byte("import\n"))
	h.Write(data)
	for _, r := range p.Rows {
		if lines[r.Line] {
			fmt.Fprintf(h, "\n%d", r.Line)
		}
	}
	j, err := s.startKeyed(ctx, actor, &plan, hex.EncodeToString(h.Sum(nil)[:16]))
	return j, plan, err
}

// importOne does one line of a confirmed file, through the services as
// the Invite user form and the row actions would.
func importOne(invs *invitations.Service) Handler {
	return func(ctx context.Context, a invitations.Actor, it Item) error {
		var l importLine
		if err := json.Unmarshal(it.Payload, &l); err != nil {
			return err
		}
		switch l.Do {
		case "resend":
			_, err := invs.Resend(ctx, a, l.UserID)
			return err
		case "renew":
			_, err := invs.Renew(ctx, a, l.UserID)
			return err
		}
		_, err := invs.Invite(ctx, a, invitations.InviteInput{Email: l.Email, Name: l.Name, Offered: l.Offered, Language: l.Language})
		if _, ok := invitations.IsExisting(err); ok {
			return Skip(ReasonKnown)
		}
		return err
	}
}
