package engine

import (
	"context"
	"fmt"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// writeFile writes an entity's file from the store: the state after this run in key order
// (compleet), or only what changed (mutaties), in the columns the profile configures. The state
// keeps koppel's own columns, so a header change never reads as a change of data. Without a
// folder (a dry run) the rows are walked, not written, and nothing counts as delivered. The
// values go from the stored bytes into the file without a string each.
func (r *run) writeFile(ctx context.Context, folder *delivery.Folder, ent string) error {
	layout, problems := r.p.Delivery.Layout(ent)
	if len(problems) > 0 {
		return fmt.Errorf("delivery.columns of %s: %v", mapping.FileOf(ent), problems)
	}
	header := layout.Header()
	mutaties := mutationFile(r.p, ent)
	mutCol := r.p.Delivery.MutationHeader()
	if mutaties && mutCol != "" {
		header = append([]string{mutCol}, header...)
	}
	c := r.rec.Entities[ent]
	c.Delivered = 0
	var groups map[string]struct{}
	if ent == mapping.Employments {
		groups = map[string]struct{}{}
	}
	var vals [][]byte
	// A file of mutations has the staged rows only: the unchanged records need no walk.
	walk := r.sess.EachDeliveredRaw
	if mutaties {
		walk = r.sess.EachStagedRaw
	}
	rows := func(l *delivery.Line) error {
		return walk(ent, func(key, raw []byte, kind string) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			switch {
			case mutaties && kind == "":
				return nil
			case mutaties && kind == Verwijderd && mutCol == "":
				// Without a mutation column a removal cannot be said: Xpert Suite keeps the row
				// until a complete delivery.
				r.log(runlog.Log{Level: runlog.Waarschuwing, Entity: ent, Key: mapping.DisplayKey(string(key)), Code: "run.removal_not_sent"})
				return nil
			case !mutaties && kind == Verwijderd:
				return nil
			}
			var err error
			if vals, err = store.SplitValues(raw, vals); err != nil {
				return fmt.Errorf("%s %q: %w", ent, key, err)
			}
			c.Delivered++
			if groups != nil {
				// Looked up first: only a new personnel number costs a string.
				if pn := vals[mapping.EmploymentPNCol]; !hasKey(groups, pn) {
					groups[string(pn)] = struct{}{}
				}
			}
			if l == nil {
				return nil
			}
			if mutaties && mutCol != "" {
				l.FieldString(kind)
			}
			for i := range layout.Width() {
				if col, fixed := layout.Source(i); col < 0 {
					l.FieldString(fixed)
				} else {
					l.Field(vals[col])
				}
			}
			return l.End()
		})
	}
	if folder == nil {
		err := rows(nil)
		c.Delivered = 0
		return err
	}
	err := folder.WriteRows(mapping.FileOf(ent), header, rows)
	if groups != nil {
		if ec := r.rec.Entities[mapping.Employees]; ec != nil {
			ec.Delivered = len(groups)
		}
	}
	return err
}

func hasKey(m map[string]struct{}, k []byte) bool {
	_, ok := m[string(k)]
	return ok
}
