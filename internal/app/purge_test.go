package app_test

import (
	"testing"

	"github.com/usherhq/usher/internal/apptest"
)

// The email sender's loop runs the activity log's retention purge: with
// USHER_ACTIVITY_RETENTION days, an older entry goes at its next round;
// with 0, nothing is ever deleted.
func TestSenderPurgesOldActivity(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		days string
		kept int
	}{{"30", 1}, {"0", 2}, {"", 2}} { // the default, 400 days, keeps both
		t.Run("retention="+c.days, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			if c.days != "" {
				env["USHER_ACTIVITY_RETENTION"] = c.days
			}
			e := apptest.New(t, apptest.Options{Env: env})
			d := e.App.Data.DB
			for _, age := range []int{31, 1} {
				at := apptest.Start.AddDate(0, 0, -age).Unix()
				if _, err := d.W.Exec(`INSERT INTO activity (at, kind) VALUES (?, 'space.renamed')`, at); err != nil {
					t.Fatal(err)
				}
			}
			e.Deliver(t)
			var n int
			if err := d.R.QueryRow(`SELECT count(*) FROM activity`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != c.kept {
				t.Errorf("%d entries after a round, want %d", n, c.kept)
			}
		})
	}
}
