package web

import (
	"context"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/views/components"
)

// roleChoices is a roles picker's options: the spaces access may offer
// roles in, each with the roles it may offer there and the role held (or
// offered) there according to current.
func (s *Server) roleChoices(ctx context.Context, access *spaces.Access, current map[int64]spaces.Role) ([]components.RoleChoice, error) {
	offerable, err := s.Spaces.Offerable(ctx, access)
	if err != nil {
		return nil, err
	}
	loc := i18n.From(ctx)
	out := make([]components.RoleChoice, 0, len(offerable))
	for _, o := range offerable {
		c := components.RoleChoice{SpaceID: o.ID, Name: o.Name, Kind: loc.T(kindLabel + string(o.Kind)), KindInText: loc.T(kindInText + string(o.Kind)), Unit: o.Unit, Depth: o.Depth, Role: string(current[o.ID])}
		for _, r := range o.Roles {
			c.Roles = append(c.Roles, string(r))
		}
		out = append(out, c)
	}
	return out, nil
}

// kindLabel and kindInText start the message ids of a space kind's name,
// as a label and inside a sentence, in the roles picker: kindLabel +
// "waiting_area" is "Waiting area".
const (
	kindLabel  = "components.roles.kind."
	kindInText = "components.roles.kind_in_text."
)

// parseRoles reads the roles picker of cur: every role_<space id> field
// posted, and "role" for the account itself (the radio buttons an account
// without spaces shows its administrators). A role in a space cur does
// not administer is refused, not ignored, so a forged form cannot slip
// through unnoticed; "No role" there means nothing.
func parseRoles(c echo.Context, cur *current) (map[int64]spaces.Role, []spaces.Grant, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, nil, errs.T(errs.Invalid, "components.roles.unreadable")
	}
	roles := map[int64]spaces.Role{}
	var grants []spaces.Grant
	for key, vals := range form {
		idStr, ok := strings.CutPrefix(key, "role_")
		if key == "role" && cur.Access.AccountAdmin {
			idStr, ok = strconv.FormatInt(cur.Account.ID, 10), true
		}
		if !ok || len(vals) == 0 {
			continue
		}
		id, err := strconv.ParseInt(idStr, 10, 64)
		if err != nil {
			return nil, nil, errs.FieldT("roles", "components.roles.unknown_space")
		}
		known := cur.Access.Administers(id)
		if vals[0] == "" {
			if known {
				roles[id] = ""
			}
			continue
		}
		role, ok := spaces.ParseRole(vals[0])
		if !ok {
			return nil, nil, errs.FieldT("roles", "components.roles.choose_role")
		}
		if !known {
			return nil, nil, errs.T(errs.Forbidden, "components.roles.not_yours")
		}
		roles[id] = role
		grants = append(grants, spaces.Grant{SpaceID: id, Role: role})
	}
	return roles, grants, nil
}

// roleMap indexes grants by space.
func roleMap(grants []spaces.Grant) map[int64]spaces.Role {
	m := make(map[int64]spaces.Role, len(grants))
	for _, g := range grants {
		m[g.SpaceID] = g.Role
	}
	return m
}

// pickerStep applies to roles (as parseRoles read them) the roles
// picker's Add or Remove button, when one of them sent the form: without
// JavaScript they are submit buttons, and the form comes back with the
// role added or removed instead of being acted on. It reports whether
// one did, and the field to focus on the form shown again. A role added
// must be one cur may offer there (the service that acts on the form
// checks again); a space cur does not administer is refused as
// parseRoles refuses it.
func pickerStep(c echo.Context, cur *current, roles map[int64]spaces.Role) (focus string, step bool, err error) {
	if id := c.FormValue("remove"); id != "" {
		sid, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return "", true, errs.FieldT("roles", "components.roles.unknown_space")
		}
		delete(roles, sid)
		return "add_space", true, nil
	}
	if c.FormValue("add") == "" {
		return "", false, nil
	}
	sid, err := strconv.ParseInt(c.FormValue("add_space"), 10, 64)
	if err != nil {
		return "add_space", true, errs.FieldT("add_space", "components.roles.choose_add_space")
	}
	role, ok := spaces.ParseRole(c.FormValue("add_role"))
	if !ok {
		return "add_role", true, errs.FieldT("add_role", "components.roles.choose_add_role")
	}
	if !cur.Access.MayOffer(sid, role) {
		return "", true, errs.T(errs.Forbidden, "components.roles.not_yours")
	}
	roles[sid] = role
	return components.RoleField(sid), true, nil
}
