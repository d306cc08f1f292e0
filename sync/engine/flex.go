package engine

import (
	"context"

	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/mapping"
)

// The flex stages of a run (shared spec flex.md): employment rows that wait for their person's
// primary record, and the placements.

// filled reads back the employment rows held in flex mode, gives each its person's fields and
// compares them.
func (pl *pipeline) filled(ctx context.Context, held *heldRecords, d *diff) error {
	return held.replay(ctx, d.records, pl.m.FillPerson)
}

// placements maps and compares Koppel_Plaatsingen once the delivered persons are known (waitErr
// says whether they are). A run without AFAS Werknemer reads them without delivering them.
func (pl *pipeline) placements(ctx context.Context, waitErr error, drain func(string, func(any) error) error) error {
	ch, ok := pl.pages[connectors.Plaatsingen]
	if !ok {
		return nil
	}
	d := pl.diffs[mapping.Placements]
	if waitErr != nil || d == nil {
		drainQuiet(ch)
		return waitErr
	}
	var batch []mapping.Record
	err := drain(connectors.Plaatsingen, func(v any) error {
		rec, ok := pl.m.Placement(v.(mapping.Placement))
		if !ok {
			return nil
		}
		batch = append(batch, rec)
		if len(batch) >= stageBatch {
			err := d.records(batch)
			batch = batch[:0]
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := d.records(batch); err != nil {
		return err
	}
	return d.finish()
}
