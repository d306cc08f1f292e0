package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
)

// Mutation kinds of mode mutaties.
const (
	Nieuw      = "Nieuw"
	Gewijzigd  = "Gewijzigd"
	Verwijderd = "Verwijderd"
)

// plan is what a run will deliver and store.
type plan struct {
	order []string             // entities in file order
	rows  map[string][]fileRow // file rows per entity

	updates []store.StateUpdate
}

// fileRow is one row of a file: its values and, in mode mutaties, the Mutatie column written
// before them (kept apart so no row is copied to prepend it).
type fileRow struct {
	kind string
	vals []string
}

// compare classifies every record against the last delivered state, decides the file rows for
// the profile's mode, counts, and applies the deletion guard.
func (r *run) compare(mapped *mapping.Result) (*plan, error) {
	mutaties := r.p.Delivery.Mode == profile.ModeMutaties
	pl := &plan{rows: map[string][]fileRow{}}
	for _, ent := range []string{mapping.Departments, mapping.Employments, mapping.Users, mapping.Absences} {
		recs, ok := mapped.Records[ent]
		if !ok {
			continue
		}
		pl.order = append(pl.order, ent)
		prev, err := r.e.Store.State(r.p.Name, ent)
		if err != nil {
			return nil, fmt.Errorf("load delivered state of %s: %w", ent, err)
		}
		c := r.rec.Entities[ent]
		upd := store.StateUpdate{Entity: ent, Put: map[string][]string{}}
		var rows []fileRow
		current := make(map[string]bool, len(recs))
		removals := 0 // deleted, newly archived or newly deactivated, for the guard
		groups := newGroupTally()
		add := func(kind string, vals []string) {
			rows = append(rows, fileRow{kind, vals})
		}
		for _, rec := range recs {
			current[rec.Key] = true
			old, had := prev[rec.Key]
			switch {
			case !had:
				c.New++
				upd.Put[rec.Key] = rec.Values
				r.change(ent, rec.Key, Nieuw, nil, rec.Values)
				add(Nieuw, rec.Values)
				groups.touch(rec.Group, Nieuw)
			case slices.Equal(old, rec.Values):
				c.Unchanged++
				if !mutaties {
					add("", rec.Values)
				}
				groups.touch(rec.Group, "")
			default:
				c.Changed++
				upd.Put[rec.Key] = rec.Values
				r.change(ent, rec.Key, Gewijzigd, old, rec.Values)
				add(Gewijzigd, rec.Values)
				groups.touch(rec.Group, Gewijzigd)
				if ent == mapping.Departments && old[mapping.DeptStatusCol] != mapping.StatusGearchiveerd && rec.Values[mapping.DeptStatusCol] == mapping.StatusGearchiveerd {
					removals++
				}
			}
		}
		// What was delivered before and is gone now, in key order.
		var gone []string
		for k := range prev {
			if !current[k] {
				gone = append(gone, k)
			}
		}
		slices.Sort(gone)
		for _, k := range gone {
			old := prev[k]
			if ent == mapping.Users {
				// koppel never deletes an account: one it delivered that no longer qualifies is
				// deactivated, and stays delivered as such so Xpert Suite does not remove it.
				if old[mapping.UserStatusCol] == mapping.StatusGedeactiveerd {
					c.Unchanged++
					if !mutaties {
						add("", old)
					}
					continue
				}
				deact := slices.Clone(old)
				deact[mapping.UserStatusCol] = mapping.StatusGedeactiveerd
				c.Deleted++
				removals++
				upd.Put[k] = deact
				r.change(ent, k, Gewijzigd, old, deact)
				add(Gewijzigd, deact)
				r.log(mapping.Log{Level: mapping.Melding, Entity: ent, Key: mapping.DisplayKey(k), Code: "run.deactivated"})
				continue
			}
			c.Deleted++
			removals++
			upd.Delete = append(upd.Delete, k)
			r.change(ent, k, Verwijderd, old, nil)
			if mutaties {
				add(Verwijderd, old)
			}
			if ent == mapping.Employments {
				groups.gone(old[mapping.EmploymentPNCol])
			}
		}
		if mutaties || ent == mapping.Users {
			// Rows were appended in two passes; files are sorted on the key.
			sortRows(rows, ent)
		}
		c.Delivered = len(rows)
		pl.rows[ent] = rows
		if len(upd.Put) > 0 || len(upd.Delete) > 0 {
			pl.updates = append(pl.updates, upd)
		}
		if ent == mapping.Employments {
			r.employeeCounts(groups, rows)
		}
		r.guard(ent, removals, len(prev))
	}
	return pl, nil
}

func (r *run) change(ent, key, kind string, before, after []string) {
	if len(r.changes) < store.MaxChanges {
		r.changes = append(r.changes, store.Change{Entity: ent, Key: mapping.DisplayKey(key), Kind: kind, Before: before, After: after})
	}
}

// guard blocks the run when an entity would lose more than the profile's share of what was
// delivered last time (only above five records).
func (r *run) guard(ent string, removals, previous int) {
	share := r.p.Guard.DeleteShare()
	if previous <= 5 || float64(removals) <= share*float64(previous) {
		return
	}
	args := []string{strconv.Itoa(removals), strconv.Itoa(previous), strconv.FormatFloat(share*100, 'f', -1, 64)}
	if r.opts.AllowDeletes {
		r.log(mapping.Log{Level: mapping.Waarschuwing, Entity: ent, Code: "run.guard_allowed", Args: args})
		return
	}
	r.rec.Blocked = append(r.rec.Blocked, store.GuardHit{Entity: ent, Deleted: removals, Previous: previous, Limit: share * 100})
	r.log(mapping.Log{Level: mapping.Uitval, Entity: ent, Code: "run.guard", Args: args})
}

// sortRows orders rows on the entity's key columns.
func sortRows(rows []fileRow, ent string) {
	keyCols := map[string][]int{
		mapping.Departments: {0, 1},
		mapping.Employments: {0, 1, 15},
		mapping.Absences:    {2, 3},
		mapping.Users:       {1},
	}[ent]
	slices.SortStableFunc(rows, func(a, b fileRow) int {
		for _, k := range keyCols {
			x, y := a.vals[k], b.vals[k]
			if ent == mapping.Absences || k == 15 {
				// numeric keys compare as numbers, as the mapping keys do after padding
				if c := compareNumeric(x, y); c != 0 {
					return c
				}
				continue
			}
			if c := cmp.Compare(x, y); c != 0 {
				return c
			}
		}
		return 0
	})
}

// compareNumeric orders numbers as numbers, anything else as text.
func compareNumeric(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA != nil || errB != nil {
		return cmp.Compare(a, b)
	}
	return cmp.Compare(x, y)
}

// groupTally derives the employee counts from employment rows.
type groupTally struct {
	seen    map[string]bool
	changed map[string]bool
	allNew  map[string]bool
	removed map[string]bool
}

func newGroupTally() *groupTally {
	return &groupTally{seen: map[string]bool{}, changed: map[string]bool{}, allNew: map[string]bool{}, removed: map[string]bool{}}
}

func (g *groupTally) touch(group, kind string) {
	first := !g.seen[group]
	g.seen[group] = true
	switch kind {
	case Nieuw:
		if first {
			g.allNew[group] = true
		}
		g.changed[group] = true
	case Gewijzigd:
		g.changed[group] = true
		delete(g.allNew, group)
	default:
		delete(g.allNew, group)
	}
}

func (g *groupTally) gone(group string) { g.removed[group] = true }

func (r *run) employeeCounts(g *groupTally, rows []fileRow) {
	c := r.rec.Entities[mapping.Employees]
	if c == nil {
		return
	}
	for grp := range g.seen {
		switch {
		case g.allNew[grp] && !g.removed[grp]:
			c.New++
		case g.changed[grp] || g.removed[grp]:
			c.Changed++
		default:
			c.Unchanged++
		}
	}
	for grp := range g.removed {
		if !g.seen[grp] {
			c.Deleted++
		}
	}
	delivered := map[string]bool{}
	for _, row := range rows {
		delivered[row.vals[mapping.EmploymentPNCol]] = true
	}
	c.Delivered = len(delivered)
}
