package engine

import (
	"slices"
	"strings"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/mapping"
)

// streamFile writes an entity's file while its records are staged, when the staged rows are the
// file in the order they come: the entity had no state (a first run: every record is new, and the
// file is the staged rows in key order) and every batch follows the one before in key order, as
// AFAS's order often is. The file is then done when the comparison is, and no walk of the store
// is needed to write it. A batch out of that order gives it up (the partial file is removed), and
// the file is written after the comparison from the store, as always. It lives on the stager's
// goroutine until finish hands it to the early files.
type streamFile struct {
	r     *run
	ent   string
	fr    *fileRows
	w     *delivery.RowFile
	last  string
	order []int
	off   bool
}

// newStream returns a stream for an entity without state in a run that writes its files early,
// or nil.
func (d *diff) newStream() *streamFile {
	if d.r.early == nil || d.ent == mapping.Documents || !d.stateKnown || !d.noState {
		return nil
	}
	return &streamFile{r: d.r, ent: d.ent}
}

// add writes a staged batch's rows, in key order, unless the batch does not follow the rows
// written so far.
func (s *streamFile) add(batch []store.Staged) error {
	if s == nil || s.off || len(batch) == 0 {
		return nil
	}
	s.order = s.order[:0]
	for i, row := range batch {
		if row.Kind != Nieuw {
			s.giveUp() // only a first run's rows: no state, so nothing changed or gone
			return nil
		}
		s.order = append(s.order, i)
	}
	slices.SortFunc(s.order, func(a, b int) int { return strings.Compare(batch[a].Key, batch[b].Key) })
	prev := s.last // keys are never empty: the first batch's first key follows ""
	for _, j := range s.order {
		if batch[j].Key <= prev {
			s.giveUp() // before a row written already, or staged twice: the store decides
			return nil
		}
		prev = batch[j].Key
	}
	if s.w == nil {
		fr, err := s.r.newFileRows(s.ent)
		if err != nil {
			s.giveUp() // writeFile reports it
			return nil
		}
		folder, err := s.r.outFolder()
		if err != nil {
			s.giveUp()
			return nil
		}
		if s.w, err = folder.Open(mapping.FileOf(s.ent), fr.header); err != nil {
			return err
		}
		s.fr = fr
	}
	l := s.w.Line()
	for _, j := range s.order {
		if err := row(s.fr, l, batch[j].Key, batch[j].Kind, batch[j].Vals); err != nil {
			return err
		}
	}
	s.last = prev
	return nil
}

// giveUp removes what was written, and counts nothing delivered: the file is written from the
// store after the comparison, or not at all (a run the guard blocks).
func (s *streamFile) giveUp() {
	s.off = true
	if s.w != nil {
		s.w.Abort()
		s.w = nil
		s.fr.c.Delivered = 0
	}
}

// close completes the file (it is then listed in the manifest).
func (s *streamFile) close() error {
	defer func() { s.w = nil }()
	if err := s.w.Close(); err != nil {
		return err
	}
	s.fr.done()
	return nil
}

// written tells whether the stream holds the whole file so far.
func (s *streamFile) written() bool { return s != nil && !s.off && s.w != nil }
