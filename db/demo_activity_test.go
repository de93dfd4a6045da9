package db

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/auth"
	"github.com/usherhq/usher/internal/demo"
)

// The demo writes the activity log in bulk, the way record writes it an
// entry at a time: the same rows, and the same people's and spaces' index
// rows. Recording every demo entry again into an empty log gives the same
// tables.
func TestDemoActivityIsWhatRecordWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newTestDB(t)
	seeder := demo.NewSeeder(NewDemoStore(d), auth.NewLinks(bytes.Repeat([]byte{7}, 32)), auth.NewHasher(1), 7*24*time.Hour)
	sum, err := seeder.Seed(ctx, demo.Options{Users: 400, Password: "a demo password", Now: t0, Seed: 3, Activity: 6000})
	if err != nil {
		t.Fatal(err)
	}
	again := newTestDB(t)
	// The demo builds the log's indexes after its rows: the same indexes
	// as the migration's.
	schema := `SELECT name, sql FROM sqlite_schema WHERE tbl_name LIKE 'activity%' ORDER BY name`
	if got, want := dump(t, d, schema), dump(t, again, schema); got != want || !strings.Contains(want, "activity_people_kind") {
		t.Errorf("the demo's activity schema:\n%s\nwant the migration's:\n%s", got, want)
	}
	n := 0
	err = NewActivityStore(d).Each(ctx, activity.Filter{}, func(e activity.Entry) error {
		n++
		return again.tx(ctx, func(tx *sql.Tx) error { return record(ctx, tx, e) })
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != sum.Activity || n < 5000 {
		t.Fatalf("%d entries, the demo says %d", n, sum.Activity)
	}
	// Each reads newest first: record gave the newest id 1. The rows match
	// once the ids are counted from the other end.
	for _, q := range []string{
		`SELECT %s, at, kind, actor_id, actor_name, actor_email, subject_id, subject_name, subject_email, ip, details FROM activity ORDER BY 1`,
		`SELECT user_id, at, %s, kind FROM activity_people ORDER BY 1, 2, 3`,
		`SELECT space_id, at, %s, kind FROM activity_spaces ORDER BY 1, 2, 3`,
	} {
		idCol := map[bool]string{false: "id", true: "activity_id"}[!bytes.Contains([]byte(q), []byte("FROM activity "))]
		want := dump(t, d, fmt.Sprintf(q, idCol))
		got := dump(t, again, fmt.Sprintf(q, fmt.Sprintf("%d + 1 - %s", n, idCol)))
		if got != want {
			t.Errorf("%s: the demo's rows differ from record's", q)
		}
		if want == "" {
			t.Errorf("%s: no rows", q)
		}
	}
}
