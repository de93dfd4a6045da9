package db

import (
	"context"
	"database/sql"
	"time"

	"github.com/usherhq/usher/internal/users"
)

// The users' pending invitations, kept by the list's order (issue 19) as
// each row shows them: when sent and until when, by whom, what became of
// the newest email and the roles offered. Read from SQLite, they were two
// queries of every page with someone invited on it, a seventh of a deep
// page's CPU. The triggers of migrations 0018 and 0019 note every change
// to them: the invitation, its emails, its roles.

// keptInvite is a pending invitation, as users.Invite, without a pointer
// (as listed): its strings are in listIndex.text, its roles in
// listIndex.grants.
type keptInvite struct {
	id, created, sent, expires int64
	inviter                    uint32 // a place in listIndex.inviters
	state                      uint8  // of its newest email, a place in deliveryStates
	renewal                    bool   // a new invitation was asked for
	err                        span   // the newest email's last error
	offered                    grantSpan
}

// deliveryStates are the states of an outbox row, and "" for no email.
var deliveryStates = []string{"", "queued", "sent", "failed", "captured"}

// invitesQuery reads every pending invitation (load), or those of some
// users when completed by an IN list of ids, each with what became of
// its newest email, as rowInvitesQuery reads them.
const invitesQuery = `
	SELECT i.user_id, i.id, i.created_at, i.sent_at, i.expires_at, i.inviter_name, i.renewal_requested_at IS NOT NULL, o.state, o.last_error
	FROM invitations i
	LEFT JOIN outbox o ON o.id = (SELECT max(n.id) FROM outbox n INDEXED BY outbox_invitation_delivery WHERE n.invitation_id = i.id AND n.kind != 'renewal_request')
	WHERE i.state = 'pending' AND i.user_id IS NOT NULL`

// offersQuery reads the roles pending invitations offer, by user, as
// invitesQuery (completed the same way).
const offersQuery = `
	SELECT i.user_id, r.space_id, r.role FROM invitations i JOIN invitation_roles r ON r.invitation_id = i.id
	WHERE i.state = 'pending' AND i.user_id IS NOT NULL`

// inviteRow is a row of invitesQuery.
type inviteRow struct {
	user, id, created, sent, expires int64
	inviter                          string
	renewal                          bool
	state, err                       sql.NullString
}

// readInvites reads rows of invitesQuery, by user.
func readInvites(ctx context.Context, q querier, query string, args ...any) (map[int64]inviteRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]inviteRow{}
	for rows.Next() {
		var r inviteRow
		if err := rows.Scan(&r.user, &r.id, &r.created, &r.sent, &r.expires, &r.inviter, &r.renewal, &r.state, &r.err); err != nil {
			return nil, err
		}
		out[r.user] = r
	}
	return out, rows.Err()
}

// keepInvite keeps r, offering offered, as the pending invitation of the
// user in slot i, under x.mu.
func (x *listIndex) keepInvite(i slot, r inviteRow, offered []grantRow) {
	k := keptInvite{id: r.id, created: r.created, sent: r.sent, expires: r.expires, inviter: x.inviterOf([]byte(r.inviter)),
		renewal: r.renewal, err: x.keep([]byte(r.err.String)), offered: x.keepGrants(offered)}
	for s, name := range deliveryStates {
		if name == r.state.String {
			k.state = uint8(s)
		}
	}
	if n := len(x.freeInvites); n > 0 {
		at := x.freeInvites[n-1]
		x.freeInvites = x.freeInvites[:n-1]
		x.invites[at] = k
		x.entries[i].invite = at + 1
		return
	}
	x.invites = append(x.invites, k)
	x.entries[i].invite = uint32(len(x.invites))
}

// dropInvite forgets the pending invitation of the user in slot i, if
// kept, under x.mu.
func (x *listIndex) dropInvite(i slot) {
	l := &x.entries[i]
	if l.invite == 0 {
		return
	}
	k := &x.invites[l.invite-1]
	x.live -= int(k.err.n)
	x.grantsLive -= int(k.offered.n)
	x.freeInvites = append(x.freeInvites, l.invite-1)
	l.invite = 0
}

// invite is the pending invitation of the user in slot i as the list
// shows it, nil for none, under x.mu (read).
func (x *listIndex) invite(i slot) *users.Invite {
	l := &x.entries[i]
	if l.invite == 0 {
		return nil
	}
	k := &x.invites[l.invite-1]
	return &users.Invite{ID: k.id, CreatedAt: time.Unix(k.created, 0).UTC(), SentAt: time.Unix(k.sent, 0).UTC(), ExpiresAt: time.Unix(k.expires, 0).UTC(),
		InviterName: x.inviters[k.inviter], Offered: x.grantsIn(k.offered), RenewalRequested: k.renewal,
		Delivery: users.Delivery{State: deliveryStates[k.state], Error: string(x.str(k.err))}}
}

// loadInvites reads every pending invitation and the roles it offers,
// under n's load.
func (n *listIndex) loadInvites(ctx context.Context, q querier) error {
	invs, err := readInvites(ctx, q, invitesQuery)
	if err != nil {
		return err
	}
	offers, err := readGrants(ctx, q, offersQuery)
	if err != nil {
		return err
	}
	n.invites = make([]keptInvite, 0, len(invs))
	for user, r := range invs {
		if i, ok := n.byID[user]; ok {
			n.keepInvite(i, r, offers[user])
		}
	}
	return nil
}
