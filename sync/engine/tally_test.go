package engine

import (
	"testing"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/mapping"
)

// An employee counts as new when every employment of it is new, as changed when one of them is
// new, changed or gone (and not all are new), as deleted when all of them are gone, else as
// unchanged; in whatever order its employments come.
func TestGroupTallyCountsEmployees(t *testing.T) {
	g := newGroupTally()
	for _, tc := range []struct{ group, kind string }{
		{"A", Nieuw},
		{"B", Nieuw}, {"B", ""},
		{"C", ""}, {"C", ""},
		{"D", Gewijzigd},
		{"F", ""}, {"F", "gone"},
		{"G", Nieuw}, {"G", "gone"},
		{"H", Nieuw}, {"H", Nieuw},
		{"I", ""}, {"I", Nieuw},
		{"J", Gewijzigd}, {"J", Nieuw},
		{"E", "gone"},
	} {
		if tc.kind == "gone" {
			g.gone(tc.group)
			continue
		}
		g.touch(tc.group, tc.kind)
	}
	r := &run{rec: &store.Run{Entities: map[string]*store.EntityCounts{mapping.Employees: {}}}}
	r.employeeCounts(g)
	want := store.EntityCounts{New: 2, Changed: 6, Unchanged: 1, Deleted: 1} // A H; B D F G I J; C; E
	if got := *r.rec.Entities[mapping.Employees]; got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	var none *groupTally
	none.touch("A", Nieuw) // an entity whose groups are not counted
}
