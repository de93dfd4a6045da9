package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/apptest"
)

// The Invite user page says how long the emailed link works as this
// server makes it (USHER_INVITE_TTL), not always a week.
func TestInvitePageSaysHowLongTheLinkWorks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ttl  time.Duration
		want string
	}{
		{0, "The link works for 7 days."},
		{36 * time.Hour, "The link works for 1 day and 12 hours."},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, apptest.Options{InviteTTL: tc.ttl})
			page := f.Get(t, f.admin, "/settings/users/invite")
			if page.StatusCode != http.StatusOK || !strings.Contains(text(page.Body), tc.want) {
				t.Errorf("USHER_INVITE_TTL=%s: status %d, want the page to say %q:\n%s", tc.ttl, page.StatusCode, tc.want, text(page.Body))
			}
		})
	}
}
