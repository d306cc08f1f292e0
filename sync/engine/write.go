package engine

import (
	"context"
	"fmt"
	"hash/maphash"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/columns"
	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// fileRows turns an entity's records into the rows of its file, in the columns the profile
// configures, and counts what it delivers. The state keeps koppel's own columns, so a header
// change never reads as a change of data.
type fileRows struct {
	r        *run
	ent      string
	layout   *columns.Layout
	header   []string
	mutaties bool
	mutCol   string
	c        *store.EntityCounts
	groups   map[uint64]struct{} // the employees of the employments delivered, by hash: eight bytes each
	seed     maphash.Seed
}

func (r *run) newFileRows(ent string) (*fileRows, error) {
	layout, problems := r.p.Delivery.Layout(ent)
	if len(problems) > 0 {
		return nil, fmt.Errorf("delivery.columns of %s: %v", mapping.FileOf(ent), problems)
	}
	fr := &fileRows{r: r, ent: ent, layout: layout, header: layout.Header(), mutaties: mutationFile(r.p, ent),
		mutCol: r.p.Delivery.MutationHeader(), c: r.rec.Entities[ent]}
	if fr.mutaties && fr.mutCol != "" {
		fr.header = append([]string{fr.mutCol}, fr.header...)
	}
	fr.c.Delivered = 0
	if ent == mapping.Employments {
		fr.groups, fr.seed = map[uint64]struct{}{}, maphash.MakeSeed()
	}
	return fr, nil
}

// row writes one record of kind ("" unchanged, Nieuw, Gewijzigd, Verwijderd) into l, or only
// counts it without l; a record the file does not carry is left out.
func row[T string | []byte](fr *fileRows, l *delivery.Line, key T, kind string, vals []T) error {
	switch {
	case fr.mutaties && kind == "":
		return nil
	case fr.mutaties && kind == Verwijderd && fr.mutCol == "":
		// Without a mutation column a removal cannot be said: Xpert Suite keeps the row until
		// a complete delivery.
		fr.r.log(runlog.Log{Level: runlog.Waarschuwing, Entity: fr.ent, Key: mapping.DisplayKey(string(key)), Code: "run.removal_not_sent"})
		return nil
	case !fr.mutaties && kind == Verwijderd:
		return nil
	}
	fr.c.Delivered++
	if fr.groups != nil {
		fr.groups[hashOf(fr.seed, vals[mapping.EmploymentPNCol])] = struct{}{}
	}
	if l == nil {
		return nil
	}
	if fr.mutaties && fr.mutCol != "" {
		l.FieldString(kind)
	}
	for i := range fr.layout.Width() {
		if col, fixed := fr.layout.Source(i); col < 0 {
			l.FieldString(fixed)
		} else {
			delivery.Field(l, vals[col])
		}
	}
	return l.End()
}

// done sets the employees delivered, once every employment is written.
func (fr *fileRows) done() {
	if fr.groups != nil {
		if ec := fr.r.rec.Entities[mapping.Employees]; ec != nil {
			ec.Delivered = len(fr.groups)
		}
	}
}

// writeFile writes an entity's file from the store: the state after this run in key order
// (compleet), or only what changed (mutaties). Without a folder (a dry run) the rows are walked,
// not written, and nothing counts as delivered. The values go from the stored bytes into the
// file without a string each.
func (r *run) writeFile(ctx context.Context, folder *delivery.Folder, ent string) error {
	fr, err := r.newFileRows(ent)
	if err != nil {
		return err
	}
	var vals [][]byte
	// A file of mutations has the staged rows only: the unchanged records need no walk.
	walk := r.sess.EachDeliveredRaw
	if fr.mutaties {
		walk = r.sess.EachStagedRaw
	}
	rows := func(l *delivery.Line) error {
		return walk(ent, func(key, raw []byte, kind string) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			var err error
			if vals, err = store.SplitValues(raw, vals); err != nil {
				return fmt.Errorf("%s %q: %w", ent, key, err)
			}
			return row(fr, l, key, kind, vals)
		})
	}
	if folder == nil {
		err := rows(nil)
		fr.c.Delivered = 0
		return err
	}
	err = folder.WriteRows(mapping.FileOf(ent), fr.header, rows)
	fr.done()
	return err
}

// hashOf is the hash of a text, stored or read now.
func hashOf[T string | []byte](seed maphash.Seed, v T) uint64 {
	switch v := any(v).(type) {
	case string:
		return maphash.String(seed, v)
	case []byte:
		return maphash.Bytes(seed, v)
	}
	panic("unreachable")
}
