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

// roleChoices lists the spaces access administers, each with the role
// held (or offered) there according to current.
func (s *Server) roleChoices(ctx context.Context, access *spaces.Access, current map[int64]spaces.Role) ([]components.RoleChoice, error) {
	t, err := s.Spaces.Tree(ctx)
	if err != nil {
		return nil, err
	}
	var out []components.RoleChoice
	for _, n := range t.Offerable(access) {
		out = append(out, components.RoleChoice{SpaceID: n.ID, Name: n.Name, Kind: n.Kind.Label(), Depth: n.Depth, Role: string(current[n.ID])})
	}
	return out, nil
}

// parseRoles reads the roles picker: every role_<space id> field posted.
// A role in a space the user does not administer is refused, not ignored,
// so a forged form cannot slip through unnoticed.
func parseRoles(c echo.Context, choices []components.RoleChoice) (map[int64]spaces.Role, []spaces.Grant, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, nil, errs.E(errs.Invalid, "The form could not be read. Reload the page and try again.")
	}
	offerable := make(map[int64]components.RoleChoice, len(choices))
	for _, ch := range choices {
		offerable[ch.SpaceID] = ch
	}
	roles := map[int64]spaces.Role{}
	var grants []spaces.Grant
	for key, vals := range form {
		idStr, ok := strings.CutPrefix(key, "role_")
		if key == "role" && len(choices) > 0 && choices[0].Depth == 0 && choices[0].Kind == spaces.Account.Label() {
			// The short form for the account itself: the radio buttons an
			// account without spaces shows.
			idStr, ok = strconv.FormatInt(choices[0].SpaceID, 10), true
		}
		if !ok || len(vals) == 0 {
			continue
		}
		id, err := strconv.ParseInt(idStr, 10, 64)
		if err != nil {
			return nil, nil, errs.FieldError("roles", "The form named an unknown space. Reload the page and try again.")
		}
		ch, known := offerable[id]
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
		grants = append(grants, spaces.Grant{SpaceID: id, SpaceName: ch.Name, Role: role})
	}
	return roles, grants, nil
}

// withRoles copies choices with the roles of m filled in.
func withRoles(choices []components.RoleChoice, m map[int64]spaces.Role) []components.RoleChoice {
	out := make([]components.RoleChoice, len(choices))
	for i, ch := range choices {
		ch.Role = string(m[ch.SpaceID])
		out[i] = ch
	}
	return out
}

// roleMap indexes grants by space.
func roleMap(grants []spaces.Grant) map[int64]spaces.Role {
	m := make(map[int64]spaces.Role, len(grants))
	for _, g := range grants {
		m[g.SpaceID] = g.Role
	}
	return m
}
