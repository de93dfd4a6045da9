package web

import (
	"context"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/views/components"
)

// roleChoices is a roles picker's options: the spaces access may offer
// roles in, each with the role held (or offered) there according to
// current.
func (s *Server) roleChoices(ctx context.Context, access *spaces.Access, current map[int64]spaces.Role) ([]components.RoleChoice, error) {
	offerable, err := s.Spaces.Offerable(ctx, access)
	if err != nil {
		return nil, err
	}
	var out []components.RoleChoice
	for _, n := range offerable {
		out = append(out, components.RoleChoice{SpaceID: n.ID, Name: n.Name, Kind: n.Kind.Label(), Depth: n.Depth, Role: string(current[n.ID])})
	}
	return out, nil
}

// parseRoles reads the roles picker of cur: every role_<space id> field
// posted, and "role" for the account itself (the radio buttons an account
// without spaces shows its administrators). A role in a space cur does
// not administer is refused, not ignored, so a forged form cannot slip
// through unnoticed; "No role" there means nothing.
func parseRoles(c echo.Context, cur *current) (map[int64]spaces.Role, []spaces.Grant, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, nil, errs.E(errs.Invalid, "The form could not be read. Reload the page and try again.")
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
			return nil, nil, errs.FieldError("roles", "The form named an unknown space. Reload the page and try again.")
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
			return nil, nil, errs.FieldError("roles", "Choose Member, Administrator or No role for each space.")
		}
		if !known {
			return nil, nil, errs.E(errs.Forbidden, "You can only offer roles in spaces you administer.")
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
