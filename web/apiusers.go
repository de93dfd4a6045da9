package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/apitokens"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// The API's operations on users, invitations and spaces: each calls the
// service the page's handler calls, with the token's administrator as the
// actor.

// apiOps is every operation of /api/v1, in the order the document lists
// them.
var apiOps = []apiOp{
	op(http.MethodGet, "/users", "listUsers", apitokens.UsersRead, http.StatusOK, (*Server).apiListUsers).
		problems(422),
	op(http.MethodGet, "/users/:id", "getUser", apitokens.UsersRead, http.StatusOK, (*Server).apiGetUser).
		problems(404),
	op(http.MethodPost, "/invitations", "invite", apitokens.InvitationsWrite, http.StatusCreated, (*Server).apiInvite).
		problems(403, 409, 422),
	op(http.MethodPost, "/users/:id/resend", "resendInvitation", apitokens.InvitationsWrite, http.StatusOK, (*Server).apiResend).
		problems(404, 409, 422),
	op(http.MethodPost, "/users/:id/renew", "renewInvitation", apitokens.InvitationsWrite, http.StatusOK, (*Server).apiRenew).
		problems(404, 409, 422),
	op(http.MethodPost, "/users/:id/invitation/remove-roles", "removeInvitationRoles", apitokens.InvitationsWrite, http.StatusOK, (*Server).apiRemoveRoles).
		problems(404, 409, 422),
	op(http.MethodPost, "/users/:id/cancel", "cancelInvitation", apitokens.InvitationsWrite, http.StatusOK, (*Server).apiCancel).
		problems(404, 409),
	op(http.MethodPatch, "/users/:id", "editUser", apitokens.UsersWrite, http.StatusOK, (*Server).apiEdit).
		problems(403, 404, 409, 422),
	op(http.MethodPost, "/users/:id/deactivate", "deactivateUser", apitokens.UsersWrite, http.StatusOK, (*Server).apiDeactivate).
		problems(404, 409),
	op(http.MethodPost, "/users/:id/activate", "activateUser", apitokens.UsersWrite, http.StatusOK, (*Server).apiActivate).
		problems(404, 409),
	op(http.MethodDelete, "/users/:id", "deleteUser", apitokens.UsersWrite, http.StatusNoContent, (*Server).apiDelete).
		problems(404, 409),
	op(http.MethodGet, "/spaces", "listSpaces", apitokens.UsersRead, http.StatusOK, (*Server).apiSpaces).
		problems(),
}

// APIRole is a role on a space.
type APIRole struct {
	SpaceID   int64  `json:"space_id"`
	SpaceName string `json:"space_name"`
	SpaceKind string `json:"space_kind" enum:"account,unit,waiting_area,meeting_room"`
	Role      string `json:"role" enum:"admin,member"`
}

// APIInvitation is a user's pending invitation.
type APIInvitation struct {
	SentAt    time.Time `json:"sent_at" doc:"When its link was last emailed."`
	ExpiresAt time.Time `json:"expires_at"`
	Expired   bool      `json:"expired"`
	InvitedBy string    `json:"invited_by"`
	Offers    []APIRole `json:"offers" doc:"The roles it offers, per space."`
	// Delivery is what became of its newest email.
	Delivery         string `json:"delivery" enum:"queued,sent,failed,captured,none" doc:"What became of its newest email: captured is the built-in mailbox's."`
	DeliveryError    string `json:"delivery_error,omitempty" doc:"The mail server's reply, when it failed."`
	RenewalRequested bool   `json:"renewal_requested" doc:"The invitee asked for a new link."`
}

// APIUser is a user as the API gives them.
type APIUser struct {
	ID            int64          `json:"id"`
	Email         string         `json:"email"`
	Name          string         `json:"name"`
	Status        string         `json:"status" enum:"active,invited,expired,deactivated"`
	CreatedAt     time.Time      `json:"created_at"`
	JoinedAt      *time.Time     `json:"joined_at" doc:"When they accepted their invitation; null until then."`
	LastSignInAt  *time.Time     `json:"last_sign_in_at"`
	DeactivatedAt *time.Time     `json:"deactivated_at"`
	InvitedBy     string         `json:"invited_by,omitempty"`
	Roles         []APIRole      `json:"roles" doc:"The roles they hold, per space, as far as you may see them."`
	Invitation    *APIInvitation `json:"invitation" doc:"Their pending invitation; null when none."`
}

func apiRoles(gs []spaces.Grant) []APIRole {
	out := make([]APIRole, 0, len(gs))
	for _, g := range gs {
		out = append(out, APIRole{SpaceID: g.SpaceID, SpaceName: g.SpaceName, SpaceKind: string(g.SpaceKind), Role: string(g.Role)})
	}
	return out
}

// apiUser is l as access sees them: roles in spaces it does not see are
// left out, as the list leaves out their names.
func apiUser(l users.Listed, access *spaces.Access, now time.Time) APIUser {
	u := APIUser{ID: l.ID, Email: l.Email, Name: l.Name, Status: string(l.StatusAt(now)), CreatedAt: l.CreatedAt.UTC(),
		JoinedAt: apiTime(l.ActivatedAt), LastSignInAt: apiTime(l.LastSignInAt), DeactivatedAt: apiTime(l.DeactivatedAt),
		InvitedBy: l.InvitedBy, Roles: apiRoles(visibleGrants(l.Grants, access))}
	if inv := l.Invite; inv != nil {
		d := inv.Delivery.State
		if d == "" {
			d = "none"
		}
		u.Invitation = &APIInvitation{SentAt: inv.SentAt.UTC(), ExpiresAt: inv.ExpiresAt.UTC(), Expired: !now.Before(inv.ExpiresAt),
			InvitedBy: inv.InviterName, Offers: apiRoles(visibleGrants(inv.Offered, access)), Delivery: d, DeliveryError: inv.Delivery.Error,
			RenewalRequested: inv.RenewalRequested}
	}
	return u
}

// visibleGrants are the grants on spaces access administers (all, for an
// account administrator), as the list names them (spaces.Access.Split).
func visibleGrants(gs []spaces.Grant, access *spaces.Access) []spaces.Grant {
	named, _ := access.Split(gs)
	return named
}

type listUsersIn struct {
	Status string  `query:"status" enum:"active,invited,expired,deactivated,undelivered"`
	Q      string  `query:"q"`
	Space  []int64 `query:"space"`
	Sort   string  `query:"sort" enum:"name,email"`
	Desc   bool    `query:"desc"`
	Limit  int     `query:"limit"`
	Cursor string  `query:"cursor"`
}

// UsersPage is one page of the users list.
type UsersPage struct {
	Users []APIUser `json:"users"`
	Total int       `json:"total" doc:"How many users the filter matches, on every page."`
	Next  string    `json:"next,omitempty" doc:"The cursor of the page after this one; absent on the last page."`
}

// apiCursor is a cursor as the API gives it: opaque to the caller, and
// bound to the order it was made in.
type apiCursor struct {
	Sort string `json:"s"`
	Desc bool   `json:"d,omitempty"`
	ID   int64  `json:"i"`
	Key  string `json:"k"`
}

func (s *Server) apiListUsers(c echo.Context, in *listUsersIn) (UsersPage, error) {
	f := users.ListFilter{Query: in.Q, SpaceIDs: in.Space, Sort: users.Sort(in.Sort), Desc: in.Desc, PerPage: in.Limit}
	switch st := users.Status(in.Status); st {
	case "":
	case users.Active, users.Invited, users.Expired, users.Deactivated:
		f.Status = st
	case "undelivered":
		f.Undelivered = true
	default:
		return UsersPage{}, errs.FieldT("status", "api.err.status", "Status", in.Status)
	}
	if f.PerPage == 0 {
		f.PerPage = users.PerPage
	}
	if f.PerPage < 1 || f.PerPage > 200 {
		return UsersPage{}, errs.FieldT("limit", "api.err.limit")
	}
	if f.Sort == "" {
		f.Sort = users.ByName
	}
	var after *users.Cursor
	if in.Cursor != "" {
		var k apiCursor
		raw, err := base64.RawURLEncoding.DecodeString(in.Cursor)
		if err == nil {
			err = json.Unmarshal(raw, &k)
		}
		if err != nil || k.Sort != string(f.Sort) || k.Desc != f.Desc {
			return UsersPage{}, errs.FieldT("cursor", "api.err.cursor")
		}
		after = &users.Cursor{ID: k.ID, Key: k.Key}
	}
	cur := currentOf(c)
	page, next, err := s.Users.ListAfter(c.Request().Context(), cur.Access, f, after)
	if err != nil {
		return UsersPage{}, err
	}
	now := s.Clock.Now()
	out := UsersPage{Users: make([]APIUser, 0, len(page.Rows)), Total: page.Total}
	for _, l := range page.Rows {
		out.Users = append(out.Users, apiUser(l, cur.Access, now))
	}
	if next != nil {
		b, _ := json.Marshal(apiCursor{Sort: string(f.Sort), Desc: f.Desc, ID: next.ID, Key: next.Key})
		out.Next = base64.RawURLEncoding.EncodeToString(b)
	}
	return out, nil
}

type userIn struct {
	ID int64 `path:"id"`
}

func (s *Server) apiGetUser(c echo.Context, in *userIn) (APIUser, error) {
	cur := currentOf(c)
	l, err := s.Users.Row(c.Request().Context(), cur.Access, in.ID)
	if err != nil {
		return APIUser{}, err
	}
	return apiUser(l, cur.Access, s.Clock.Now()), nil
}

// APIRoleIn is a role to offer or give, on a space.
type APIRoleIn struct {
	SpaceID int64  `json:"space_id"`
	Role    string `json:"role" enum:"admin,member,"`
}

// InviteBody is who to invite, and to what.
type InviteBody struct {
	Emails   []string    `json:"emails" doc:"One address or several (at most 50)."`
	Name     string      `json:"name,omitempty" doc:"Their name, with one address only."`
	Roles    []APIRoleIn `json:"roles" doc:"The roles the invitation offers, per space; at least one. A space administrator offers roles in their spaces only."`
	Language string      `json:"language,omitempty" enum:"en,de" doc:"The language of the email and the accept page; default the account's."`
}

type inviteIn struct {
	Body InviteBody `body:""`
}

// APIKnown is an address that belongs to someone already.
type APIKnown struct {
	Email  string `json:"email"`
	UserID int64  `json:"user_id"`
	Status string `json:"status" enum:"active,invited,expired,deactivated"`
}

// InviteResult is what an invitation did.
type InviteResult struct {
	Sent   []APIUser  `json:"sent" doc:"Those invited, as they are now."`
	Known  []APIKnown `json:"known" doc:"Addresses of people you may see who are users already, or have an invitation: nothing was sent to them."`
	Hidden []string   `json:"hidden" doc:"Addresses of people outside your spaces: nothing was sent, and nothing more is said."`
}

func (s *Server) apiInvite(c echo.Context, in *inviteIn) (InviteResult, error) {
	cur := currentOf(c)
	b := in.Body
	var offered []spaces.Grant
	for _, r := range b.Roles {
		role, ok := spaces.ParseRole(r.Role)
		if !ok {
			return InviteResult{}, errs.FieldT("roles", "components.roles.choose_role")
		}
		if !cur.Access.Administers(r.SpaceID) {
			return InviteResult{}, errs.T(errs.Forbidden, "components.roles.not_yours")
		}
		offered = append(offered, spaces.Grant{SpaceID: r.SpaceID, Role: role})
	}
	if b.Language == "" {
		b.Language = s.Users.DefaultLanguage(c.Request().Context())
	}
	ctx := c.Request().Context()
	// Read as the form reads its addresses: the same checks, the same
	// words.
	emails, err := users.ParseEmailList("emails", b.Emails)
	if err != nil {
		return InviteResult{}, err
	}
	res, err := s.Invitations.InviteMany(ctx, actor(c), emails, b.Name, offered, b.Language)
	if err != nil {
		return InviteResult{}, err
	}
	out := InviteResult{Sent: []APIUser{}, Known: []APIKnown{}, Hidden: res.Hidden}
	if out.Hidden == nil {
		out.Hidden = []string{}
	}
	now := s.Clock.Now()
	for _, inv := range res.Sent {
		l, err := s.Users.Row(ctx, cur.Access, inv.UserID)
		if err != nil {
			return out, err
		}
		out.Sent = append(out.Sent, apiUser(l, cur.Access, now))
	}
	for _, k := range res.Known {
		out.Known = append(out.Known, APIKnown{Email: k.User.Email, UserID: k.User.ID, Status: string(k.Status)})
	}
	return out, nil
}

// UserResult is a user after an action: null once they are out of your
// view (cancelled invitees are deleted).
type UserResult struct {
	User *APIUser `json:"user"`
}

func (s *Server) apiChanged(c echo.Context, ch users.Changed, err error) (UserResult, error) {
	if err != nil {
		return UserResult{}, err
	}
	if ch.Row == nil {
		return UserResult{}, nil
	}
	u := apiUser(*ch.Row, currentOf(c).Access, s.Clock.Now())
	return UserResult{User: &u}, nil
}

func (s *Server) apiResend(c echo.Context, in *userIn) (UserResult, error) {
	ch, err := s.Invitations.Resend(c.Request().Context(), actor(c), in.ID)
	return s.apiChanged(c, ch, err)
}

func (s *Server) apiRenew(c echo.Context, in *userIn) (UserResult, error) {
	ch, err := s.Invitations.Renew(c.Request().Context(), actor(c), in.ID)
	return s.apiChanged(c, ch, err)
}

func (s *Server) apiCancel(c echo.Context, in *userIn) (UserResult, error) {
	ch, err := s.Invitations.Cancel(c.Request().Context(), actor(c), in.ID)
	return s.apiChanged(c, ch, err)
}

// RemoveRolesBody names the spaces whose offered roles go.
type RemoveRolesBody struct {
	SpaceIDs []int64 `json:"space_ids"`
}

type removeRolesIn struct {
	ID   int64           `path:"id"`
	Body RemoveRolesBody `body:""`
}

func (s *Server) apiRemoveRoles(c echo.Context, in *removeRolesIn) (UserResult, error) {
	ch, _, err := s.Invitations.RemoveRoles(c.Request().Context(), actor(c), in.ID, in.Body.SpaceIDs)
	return s.apiChanged(c, ch, err)
}

// EditBody is what to change of a user; what it leaves out stays.
type EditBody struct {
	Name  *string     `json:"name,omitempty"`
	Roles []APIRoleIn `json:"roles,omitempty" doc:"Roles to give or change, per space; an empty role takes the space's away."`
}

type editIn struct {
	ID   int64    `path:"id"`
	Body EditBody `body:""`
}

func (s *Server) apiEdit(c echo.Context, in *editIn) (UserResult, error) {
	cur := currentOf(c)
	ctx := c.Request().Context()
	l, err := s.Users.Row(ctx, cur.Access, in.ID)
	if err != nil {
		return UserResult{}, err
	}
	e := users.EditInput{Name: l.Name}
	if in.Body.Name != nil {
		e.Name = *in.Body.Name
	}
	if len(in.Body.Roles) > 0 {
		// The roles held where the editor administers, as the edit page
		// would hold them, with the body's changes.
		e.ChangeRole, e.Roles = true, map[int64]spaces.Role{}
		for _, g := range l.Grants {
			if cur.Access.Administers(g.SpaceID) {
				e.Roles[g.SpaceID] = g.Role
			}
		}
		for _, r := range in.Body.Roles {
			role, ok := spaces.ParseRole(r.Role)
			if !ok && r.Role != "" {
				return UserResult{}, errs.FieldT("roles", "components.roles.choose_role")
			}
			e.Roles[r.SpaceID] = role
		}
	}
	ch, err := s.Users.Edit(ctx, cur.Access, in.ID, e)
	return s.apiChanged(c, ch, err)
}

func (s *Server) apiDeactivate(c echo.Context, in *userIn) (UserResult, error) {
	ch, err := s.Users.Deactivate(c.Request().Context(), currentOf(c).Access, in.ID)
	return s.apiChanged(c, ch, err)
}

func (s *Server) apiActivate(c echo.Context, in *userIn) (UserResult, error) {
	ch, err := s.Users.Activate(c.Request().Context(), currentOf(c).Access, in.ID)
	return s.apiChanged(c, ch, err)
}

func (s *Server) apiDelete(c echo.Context, in *userIn) (noContent, error) {
	cur := currentOf(c)
	_, err := s.Users.Delete(c.Request().Context(), cur.Access, cur.User, in.ID)
	return noContent{}, err
}

// APISpace is a space.
type APISpace struct {
	ID           int64  `json:"id"`
	Kind         string `json:"kind" enum:"account,unit,waiting_area,meeting_room"`
	Name         string `json:"name"`
	ParentID     int64  `json:"parent_id,omitempty" doc:"The space it is in; absent for the account."`
	Depth        int    `json:"depth" doc:"How deep in the tree: 0 for the account."`
	Administered bool   `json:"administered" doc:"You may invite to it and manage its people; else it is only listed around those you do."`
}

// SpacesList is the spaces.
type SpacesList struct {
	Spaces []APISpace `json:"spaces"`
}

type noIn struct{}

func (s *Server) apiSpaces(c echo.Context, _ *noIn) (SpacesList, error) {
	list, err := s.Spaces.List(c.Request().Context(), currentOf(c).Access)
	if err != nil {
		return SpacesList{}, err
	}
	out := SpacesList{Spaces: make([]APISpace, 0, len(list))}
	for _, sp := range list {
		out.Spaces = append(out.Spaces, APISpace{ID: sp.ID, Kind: string(sp.Kind), Name: sp.Name, ParentID: sp.ParentID, Depth: sp.Depth, Administered: sp.Administered})
	}
	return out, nil
}
