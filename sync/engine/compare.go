package engine

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/runlog"
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
// the profile's mode, counts, and applies the deletion guard. The state is not loaded: it is
// walked in key order beside the mapped records, which are sorted on the same keys, so memory
// holds the new records and not a second copy of the old ones, and rows come out sorted.
func (r *run) compare(mapped *mapping.Result) (*plan, error) {
	pl := &plan{rows: map[string][]fileRow{}}
	for _, ent := range []string{mapping.Departments, mapping.Employments, mapping.Users, mapping.Absences} {
		recs, ok := mapped.Records[ent]
		if !ok {
			continue
		}
		pl.order = append(pl.order, ent)
		d := r.newDiff(ent)
		i := 0
		err := r.e.Store.EachState(r.p.Name, ent, func(key string, old []string) error {
			for ; i < len(recs) && recs[i].Key < key; i++ {
				d.current(recs[i], nil)
			}
			if i < len(recs) && recs[i].Key == key {
				d.current(recs[i], old)
				i++
			} else {
				d.gone(key, old)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read delivered state of %s: %w", ent, err)
		}
		for ; i < len(recs); i++ {
			d.current(recs[i], nil)
		}
		c := r.rec.Entities[ent]
		c.Delivered = len(d.rows)
		pl.rows[ent] = d.rows
		if len(d.upd.Put) > 0 || len(d.upd.Delete) > 0 {
			pl.updates = append(pl.updates, d.upd)
		}
		if ent == mapping.Employments {
			r.employeeCounts(d.groups, d.rows)
		}
		r.guard(ent, d.removals, d.previous)
	}
	return pl, nil
}

// diff compares one entity's records with what was delivered before.
type diff struct {
	r        *run
	ent      string
	mutaties bool
	c        *store.EntityCounts
	upd      store.StateUpdate
	rows     []fileRow
	groups   *groupTally
	previous int // records delivered last time
	removals int // deleted, newly archived or newly deactivated, for the guard
}

func (r *run) newDiff(ent string) *diff {
	return &diff{
		r: r, ent: ent, mutaties: mutationFile(r.p, ent), c: r.rec.Entities[ent],
		upd: store.StateUpdate{Entity: ent, Put: map[string][]string{}}, groups: newGroupTally(),
	}
}

func (d *diff) add(kind string, vals []string) { d.rows = append(d.rows, fileRow{kind, vals}) }

// current handles a record read now; old is its last delivered values, nil when it is new.
func (d *diff) current(rec mapping.Record, old []string) {
	if old != nil {
		d.previous++
	}
	switch {
	case old == nil:
		d.c.New++
		d.upd.Put[rec.Key] = rec.Values
		d.r.change(d.ent, rec.Key, Nieuw, nil, rec.Values)
		d.add(Nieuw, rec.Values)
		d.groups.touch(rec.Group, Nieuw)
	case slices.Equal(old, rec.Values):
		d.c.Unchanged++
		if !d.mutaties {
			d.add("", rec.Values)
		}
		d.groups.touch(rec.Group, "")
	default:
		d.c.Changed++
		d.upd.Put[rec.Key] = rec.Values
		d.r.change(d.ent, rec.Key, Gewijzigd, old, rec.Values)
		d.add(Gewijzigd, rec.Values)
		d.groups.touch(rec.Group, Gewijzigd)
		if d.ent == mapping.Departments && old[mapping.DeptStatusCol] != mapping.StatusGearchiveerd && rec.Values[mapping.DeptStatusCol] == mapping.StatusGearchiveerd {
			d.removals++
		}
	}
}

// gone handles a record delivered before that AFAS no longer has.
func (d *diff) gone(key string, old []string) {
	d.previous++
	if d.ent == mapping.Users {
		// koppel never deletes an account: one it delivered that no longer qualifies is
		// deactivated, and stays delivered as such so Xpert Suite does not remove it.
		if old[mapping.UserStatusCol] == mapping.StatusGedeactiveerd {
			d.c.Unchanged++
			if !d.mutaties {
				d.add("", old)
			}
			return
		}
		deact := slices.Clone(old)
		deact[mapping.UserStatusCol] = mapping.StatusGedeactiveerd
		d.c.Deleted++
		d.removals++
		d.upd.Put[key] = deact
		d.r.change(d.ent, key, Gewijzigd, old, deact)
		d.add(Gewijzigd, deact)
		d.r.log(runlog.Log{Level: runlog.Melding, Entity: d.ent, Key: mapping.DisplayKey(key), Code: "run.deactivated"})
		return
	}
	d.c.Deleted++
	d.removals++
	d.upd.Delete = append(d.upd.Delete, key)
	d.r.change(d.ent, key, Verwijderd, old, nil)
	if d.mutaties {
		d.add(Verwijderd, old)
	}
	if d.ent == mapping.Employments {
		d.groups.gone(old[mapping.EmploymentPNCol])
	}
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
		r.log(runlog.Log{Level: runlog.Waarschuwing, Entity: ent, Code: "run.guard_allowed", Args: args})
		return
	}
	r.rec.Blocked = append(r.rec.Blocked, store.GuardHit{Entity: ent, Deleted: removals, Previous: previous, Limit: share * 100})
	r.log(runlog.Log{Level: runlog.Uitval, Entity: ent, Code: "run.guard", Args: args})
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
