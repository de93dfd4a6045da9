package db

import (
	"fmt"
	"strings"
	"testing"

	"github.com/usherhq/usher/internal/spaces"
)

// A space's page reads indexes, never a whole table: its page and count,
// unsearched and searched (long, with an accent, short), for both roles,
// without statistics and after ANALYZE (see users_plan_test.go for what
// a plan may show). What a plan may not show: a SCAN of any table or
// index but a full-text MATCH and the results of the query's own
// subqueries, or a SEARCH that reads a whole space's grants to test each
// against a search.
func checkSpacePlans(t *testing.T, d *DB) {
	for _, role := range []spaces.Role{spaces.Admin, spaces.Member} {
		for _, search := range []string{"", "son", "élo", "jo", "a"} {
			f := spaces.MemberFilter{Role: role, Search: search, Offset: 500, Limit: 50}
			t.Run(fmt.Sprintf("role=%s q=%q", role, search), func(t *testing.T) {
				q, args := membersQuery(2, f)
				checkSpacePlan(t, explain(t, d, q, args), search != "")
				q, args = membersCountQuery(2, f)
				checkSpacePlan(t, explain(t, d, q, args), search != "")
			})
		}
	}
}

func checkSpacePlan(t *testing.T, plan []planLine, searched bool) {
	t.Helper()
	for _, l := range plan {
		if m := scanRE.FindStringSubmatch(l.detail); m != nil && !ftsMatchRE.MatchString(l.detail) && !strings.HasPrefix(m[1], "(subquery") && m[1] != "CONSTANT" {
			t.Errorf("plan scans %s:%s", m[1], planText(plan))
		}
		// Searched, the grants and offers are reached from the matches,
		// by key, not as the whole space's range tested one by one.
		if searched && (strings.Contains(l.detail, "role_grants_space (space_id=? AND role=?)") || strings.Contains(l.detail, "invitation_roles_space")) {
			t.Errorf("a search walks the whole space:%s", planText(plan))
		}
	}
}

func TestSpacePlansWithoutStatistics(t *testing.T) {
	t.Parallel()
	checkSpacePlans(t, newTestDB(t))
}

func TestSpacePlansAfterAnalyze(t *testing.T) {
	t.Parallel()
	d := newTestDB(t)
	seedForPlans(t, d, 3000)
	analyze(t, d)
	checkSpacePlans(t, d)
}
