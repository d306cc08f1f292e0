package engine

import (
	"maps"
	"slices"
	"strings"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/mapping"
)

// streamFile writes an entity's file while its records are compared, when they come in key
// order, as AFAS's order often is: the file is then done when the comparison is, and no walk of
// the store is needed to write it. In a first delivery of an entity every record is new, and
// the staged rows are the file (a complete one or of mutations): the stager writes them. Later, a
// complete file (compleet, and the absences in any mode) is still the records read now, whatever
// changed, so it is written from the records as they are compared; the manager accounts are left
// out (an account AFAS no longer has stays delivered, deactivated, from the state), and a file of
// mutations is written from the store after the comparison.
//
// AFAS sorts the employments on the employee, koppel's key starts with the employer: with more
// than one employer the rows come in key order per employer only. So the rows go into a part
// per group of keys (mapping.KeyGroupParts: per employer), each in key order, and the parts are
// joined in key order at the end; the rows of an entity of one group go straight into its file.
// A row out of that order gives the stream up (its parts are removed), and the file is written
// after the comparison from the store, as always. The stream lives on the stager's goroutine
// until finish hands it to the early files.
type streamFile struct {
	r      *run
	ent    string
	fr     *fileRows
	folder *delivery.Folder
	parts  map[string]*streamPart // by the key's group, "" for an entity of one group
	group  bool                   // the entity's keys come in groups (mapping.KeyGroupParts)
	// fromRecords: a complete file, fed by the comparison (diff.records); otherwise a file of
	// mutations, fed by the stager.
	fromRecords bool
	rows        []store.Staged // a batch of records, as rows (fromRecords)
	order       []int
	off         bool
}

// streamPart is a group's rows: in a part to join, or, for an entity of one group, in the file
// itself.
type streamPart struct {
	p    *delivery.Part
	w    *delivery.RowFile
	last string
}

func (p *streamPart) line() *delivery.Line {
	if p.w != nil {
		return p.w.Line()
	}
	return p.p.Line()
}

func (p *streamPart) abort() {
	if p.w != nil {
		p.w.Abort()
		return
	}
	p.p.Abort()
}

// maxStreamParts bounds the parts (temporary files) of a stream; keys of more groups than that
// (many employers) give it up.
const maxStreamParts = 16

// newStream returns a stream for an entity of a run that writes its files early, or nil: for
// an entity without state, from its staged rows (every record is new: they are the records; the
// stager writes them, beside the comparison); for a complete file of an entity with state, from
// its records as they are compared.
func (d *diff) newStream() *streamFile {
	if d.r.early == nil || d.ent == mapping.Documents || !d.stateKnown {
		return nil
	}
	fromRecords := !d.noState
	if fromRecords && (mutationFile(d.r.p, d.ent) || d.ent == mapping.Users) {
		return nil
	}
	return &streamFile{r: d.r, ent: d.ent, parts: map[string]*streamPart{}, group: mapping.KeyGroupParts(d.ent) > 0, fromRecords: fromRecords}
}

// addRecords writes a batch of compared records into a complete file.
func (s *streamFile) addRecords(recs []mapping.Record) error {
	if s == nil || !s.fromRecords || s.off {
		return nil
	}
	s.rows = s.rows[:0]
	for _, rec := range recs {
		s.rows = append(s.rows, store.Staged{Key: rec.Key, Vals: rec.Values})
	}
	return s.add(s.rows)
}

// partOf is the part a key goes into: its group, the key's first part with the separator (""
// for an entity whose rows all come in key order). The parts in the order of these strings are
// the keys in key order: two keys with different first parts differ within them or at the
// separator. ok is false for a key without the parts of a group.
func (s *streamFile) partOf(key string) (name string, ok bool) {
	if !s.group {
		return "", true
	}
	i := strings.Index(key, mapping.KeySep)
	if i < 0 {
		return "", false
	}
	return key[:i+len(mapping.KeySep)], true
}

// add writes a staged batch's rows, in key order, unless a row does not follow the rows
// written before it in its part.
func (s *streamFile) add(batch []store.Staged) error {
	if s == nil || s.off || len(batch) == 0 {
		return nil
	}
	s.order = s.order[:0]
	for i, row := range batch {
		if !s.fromRecords && row.Kind != Nieuw {
			s.giveUp() // only a first run's rows: no state, so nothing changed or gone
			return nil
		}
		s.order = append(s.order, i)
	}
	slices.SortFunc(s.order, func(a, b int) int { return strings.Compare(batch[a].Key, batch[b].Key) })
	if s.fr == nil {
		fr, err := s.r.newFileRows(s.ent)
		if err != nil {
			s.giveUp() // writeFile reports it
			return nil
		}
		if s.folder, err = s.r.outFolder(); err != nil {
			s.giveUp()
			return nil
		}
		s.fr = fr
	}
	for _, j := range s.order {
		key := batch[j].Key
		name, ok := s.partOf(key)
		part := s.parts[name]
		if part == nil {
			if !ok || len(s.parts) >= maxStreamParts {
				s.giveUp() // many employers, or a key of another form
				return nil
			}
			part = &streamPart{}
			var err error
			if s.group {
				part.p, err = s.folder.OpenPart()
			} else {
				part.w, err = s.folder.Open(mapping.FileOf(s.ent), s.fr.header)
			}
			if err != nil {
				return err
			}
			s.parts[name] = part
		}
		// Keys are never empty: a part's first key follows "".
		if key <= part.last {
			s.giveUp() // before a row written already, or staged twice: the store decides
			return nil
		}
		part.last = key
		if err := row(s.fr, part.line(), key, batch[j].Kind, batch[j].Vals); err != nil {
			return err
		}
	}
	return nil
}

// giveUp removes what was written, and counts nothing delivered: the file is written from the
// store after the comparison, or not at all (a run the guard blocks).
func (s *streamFile) giveUp() {
	s.off = true
	for name, part := range s.parts {
		part.abort()
		delete(s.parts, name)
	}
	if s.fr != nil {
		s.fr.c.Delivered = 0
	}
}

// close joins the parts, in key order, into the file (it is then listed in the manifest).
func (s *streamFile) close() error {
	if p := s.parts[""]; p != nil && p.w != nil {
		delete(s.parts, "")
		if err := p.w.Close(); err != nil {
			return err
		}
		s.fr.done()
		return nil
	}
	w, err := s.folder.Open(mapping.FileOf(s.ent), s.fr.header)
	if err != nil {
		s.giveUp()
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(s.parts)) {
		err := w.Join(s.parts[name].p) // removes the part
		delete(s.parts, name)
		if err != nil {
			w.Abort()
			s.giveUp()
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	s.fr.done()
	return nil
}

// written tells whether the stream holds the whole file so far.
func (s *streamFile) written() bool { return s != nil && !s.off && len(s.parts) > 0 }
