package db

import (
	"context"
	"testing"

	"github.com/usherhq/usher/internal/spaces"
	"github.com/usherhq/usher/internal/users"
)

// ListFilter.Holding asks whether the filter (tab, search, spaces) still
// matches one user, as a row action needs to know whether its row leaves
// the view; and each row says who invited them.
func TestListHoldsAndInvitedBy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	sales := f.space(t, spaces.Unit, "Sales", 0)
	support := f.space(t, spaces.Unit, "Support", 0)
	inv := f.invite(t, "ivy@example.com", spaces.Grant{SpaceID: sales, Role: spaces.Member})
	sam := f.activeUser(t, "sam@example.com", "Sam Stone", spaces.Grant{SpaceID: support, Role: spaces.Member})
	now := f.clock.Now()
	for _, c := range []struct {
		name string
		f    users.ListFilter
		want bool
	}{
		{"all", users.ListFilter{}, true},
		{"its tab", users.ListFilter{Status: users.Invited}, true},
		{"another tab", users.ListFilter{Status: users.Active}, false},
		{"the expired tab", users.ListFilter{Status: users.Expired}, false},
		{"a search it matches", users.ListFilter{Query: "IVY@"}, true},
		{"a short search it matches", users.ListFilter{Query: "iv"}, true},
		{"a search it does not match", users.ListFilter{Query: "sam"}, false},
		{"its space", users.ListFilter{SpaceIDs: []int64{sales}}, true},
		{"another space", users.ListFilter{SpaceIDs: []int64{support}}, false},
		{"nobody's spaces", users.ListFilter{SpaceIDs: []int64{}}, false},
	} {
		c.f.Holding, c.f.Page, c.f.PerPage, c.f.Now = inv.UserID, 1, 50, now
		page, err := f.users.List(ctx, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if page.Holds != c.want {
			t.Errorf("%s: Holds = %v, want %v", c.name, page.Holds, c.want)
		}
	}
	if page, _ := f.users.List(ctx, users.ListFilter{Page: 1, PerPage: 50, Now: now}); page.Holds {
		t.Error("Holds without Holding should be false")
	}
	page, err := f.users.List(ctx, users.ListFilter{Page: 1, PerPage: 50, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Rows {
		want := map[int64]string{inv.UserID: "Ada Admin", sam.ID: "", f.admin.ID: ""}[r.ID]
		if r.InvitedBy != want {
			t.Errorf("%s: InvitedBy = %q, want %q", r.Email, r.InvitedBy, want)
		}
	}
}
