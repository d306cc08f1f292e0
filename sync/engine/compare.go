package engine

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"sync"

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

// errHasState stops the walk that tells whether an entity has state stored.
var errHasState = errors.New("has state")

// stageBatch is how many changed records the comparison hands to the stager at a time.
const stageBatch = 4096

// The stager takes up to stageQueue batches ahead while it writes, and joins those waiting into
// transactions of up to about stageJoin records: each transaction of the profile file costs an
// fsync, which would otherwise hold up the comparison.
const (
	stageQueue = 4
	stageJoin  = 4 * stageBatch
)

// diff compares one entity's records, as they stream in, with what was delivered before: each
// record is looked up by key in the stored state (AFAS's order is not koppel's key order, so no
// merge), its key goes into the set of keys seen, and what changed is staged in the store. After
// the last record a walk of the stored state finds what is gone. Memory: the keys seen, never the
// rows.
type diff struct {
	r    *run
	sess Session
	ent  string
	c    *store.EntityCounts
	seed maphash.Seed
	seen map[uint64]struct{} // keys read now, by hash: eight bytes a key across a run
	// noState is set once the entity turned out to have no state stored (a first run): no key
	// is then kept in seen, as no stored record can be gone.
	noState, stateKnown bool
	batch               []store.Staged
	groups              *groupTally
	previous            int // records delivered last time
	removals            int // deleted, newly archived or newly deactivated, for the guard
	staged              int
	widened             int // records delivered before with fewer columns (the composite-period columns)
	stager              *stager
	stream              *streamFile // the file written as it is compared or staged (stream.go)
}

// stager stages an entity's changed records on a goroutine of its own, a batch behind the
// comparison: the comparison (and what waits for it: the absences are settled once every
// employment is mapped) goes on while the store writes.
type stager struct {
	batches chan []store.Staged
	done    chan struct{}
	firstErr
}

// firstErr keeps the first failure of a goroutine beside the comparison and stops the run
// with it.
type firstErr struct {
	r   *run
	mu  sync.Mutex
	err error
}

func (fe *firstErr) fail(err error) {
	fe.mu.Lock()
	first := fe.err == nil
	if first {
		fe.err = err
	}
	fe.mu.Unlock()
	if first {
		fe.r.abort(err)
	}
}

func (fe *firstErr) failed() error {
	fe.mu.Lock()
	defer fe.mu.Unlock()
	return fe.err
}

func (d *diff) startStager() *stager {
	sg := &stager{batches: make(chan []store.Staged, stageQueue), done: make(chan struct{}), firstErr: firstErr{r: d.r}}
	// A run that delivers stages an entity without state (a first delivery) straight into its
	// state after the run: each row is written once, and the early file's Prepare has nothing
	// left to copy.
	if d.r.early != nil && d.ent != mapping.Documents {
		d.sess.StageIntoState(d.ent)
	}
	stream := d.stream // a file of mutations is written from the staged rows
	if stream != nil && stream.fromRecords {
		stream = nil
	}
	// The file is written beside the staging, from the same batches (both only read them).
	var toFile chan []store.Staged
	fileDone := make(chan struct{})
	if stream != nil {
		toFile = make(chan []store.Staged, 1)
		go func() {
			defer close(fileDone)
			for batch := range toFile {
				if sg.failed() != nil {
					continue
				}
				if err := stream.add(batch); err != nil {
					sg.fail(fmt.Errorf("write %s: %w", mapping.FileOf(d.ent), err))
				}
			}
		}()
	} else {
		close(fileDone)
	}
	go func() {
		defer close(sg.done)
		defer func() {
			if toFile != nil {
				close(toFile)
			}
			<-fileDone
		}()
		for batch := range sg.batches {
			if sg.failed() != nil {
				continue // the run fails; what is left is dropped
			}
			if toFile != nil {
				toFile <- batch
			}
			// A group commit: the batches that came while the last transaction was made durable
			// go into one, so one fsync serves them all.
			joined := batch
		join:
			for len(joined) < stageJoin {
				select {
				case more, ok := <-sg.batches:
					if !ok {
						break join
					}
					if toFile != nil {
						toFile <- more
					}
					if len(joined) == len(batch) {
						joined = append(make([]store.Staged, 0, stageJoin+stageBatch), batch...)
					}
					joined = append(joined, more...)
				default:
					break join
				}
			}
			if err := d.sess.Stage(d.ent, joined); err != nil {
				sg.fail(fmt.Errorf("stage %s: %w", d.ent, err))
			}
		}
	}()
	return sg
}

// stop waits until every batch handed over is staged and returns the first failure. It may be
// called more than once.
func (d *diff) stop() error {
	sg := d.stager
	if sg == nil {
		return nil
	}
	d.stager = nil
	close(sg.batches)
	<-sg.done
	return sg.err
}

func (r *run) newDiff(sess Session, ent string) *diff {
	c := r.rec.Entities[ent]
	if c == nil {
		c = &store.EntityCounts{}
		r.rec.Entities[ent] = c
	}
	d := &diff{r: r, sess: sess, ent: ent, c: c, seed: maphash.MakeSeed(), seen: map[uint64]struct{}{}}
	if ent == mapping.Employments {
		d.groups = newGroupTally() // the employee counts come from the employments only
	}
	return d
}

// records compares a batch of mapped records: one read transaction for the batch, and an
// unchanged record (the common case) recognised by its encoded bytes without decoding.
func (d *diff) records(recs []mapping.Record) error {
	if !d.stateKnown {
		d.stateKnown = true
		d.noState = true
		err := d.sess.EachStateRaw(d.ent, func(_, _ []byte) error { d.noState = false; return errHasState })
		if err != nil && !errors.Is(err, errHasState) {
			return fmt.Errorf("read delivered state of %s: %w", d.ent, err)
		}
		d.stream = d.newStream() // it depends on whether there is state
	}
	keys := make([]string, len(recs))
	for i, rec := range recs {
		keys[i] = rec.Key
	}
	var enc []byte
	err := d.sess.GetMany(d.ent, keys, func(i int, raw []byte) error {
		rec := recs[i]
		if !d.noState {
			d.seen[maphash.String(d.seed, rec.Key)] = struct{}{}
		}
		if raw == nil {
			d.current(rec, nil)
			return nil
		}
		enc = store.AppendValues(enc[:0], rec.Values)
		if bytes.Equal(raw, enc) {
			d.unchanged(rec)
			return nil
		}
		old, err := store.DecodeValues(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", mapping.DisplayKey(rec.Key), err)
		}
		d.current(rec, old)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read delivered state of %s: %w", d.ent, err)
	}
	if err := d.stream.addRecords(recs); err != nil {
		return fmt.Errorf("write %s: %w", mapping.FileOf(d.ent), err)
	}
	return d.flush(false)
}

func (d *diff) stage(key, kind string, vals []string) {
	d.batch = append(d.batch, store.Staged{Key: key, Kind: kind, Vals: vals})
}

// flush hands a full batch (all: any batch) to the stager; with all it also waits until
// everything is staged.
func (d *diff) flush(all bool) error {
	if len(d.batch) > 0 && (all || len(d.batch) >= stageBatch) {
		if d.stager == nil {
			d.stager = d.startStager()
		}
		if err := d.stager.failed(); err != nil {
			return err
		}
		d.staged += len(d.batch)
		d.stager.batches <- d.batch
		d.batch = make([]store.Staged, 0, stageBatch) // the stager owns the batch now
	}
	if all {
		return d.stop()
	}
	return nil
}

func (d *diff) unchanged(rec mapping.Record) {
	d.c.Unchanged++
	d.groups.touch(rec.Group, "")
}

// current handles a record read now; old is its last delivered values, nil when it is new.
func (d *diff) current(rec mapping.Record, old []string) {
	switch {
	case old == nil:
		d.c.New++
		d.stage(rec.Key, Nieuw, rec.Values)
		d.r.change(d.ent, rec.Key, Nieuw, nil, rec.Values)
		d.groups.touch(rec.Group, Nieuw)
	case slices.Equal(old, rec.Values):
		d.unchanged(rec)
	default:
		if len(old) < len(rec.Values) {
			d.widened++
		}
		d.c.Changed++
		d.stage(rec.Key, Gewijzigd, rec.Values)
		d.r.change(d.ent, rec.Key, Gewijzigd, old, rec.Values)
		d.groups.touch(rec.Group, Gewijzigd)
		if d.ent == mapping.Departments && old[mapping.DeptStatusCol] != mapping.StatusGearchiveerd && rec.Values[mapping.DeptStatusCol] == mapping.StatusGearchiveerd {
			d.removals++
		}
	}
}

// finish walks the stored state for what AFAS no longer has, stages the rest and applies the
// deletion guard.
func (d *diff) finish() error {
	// Raw: only a record that is gone (rarely one) is decoded.
	err := d.sess.EachStateRaw(d.ent, func(key, raw []byte) error {
		d.previous++
		if _, ok := d.seen[maphash.Bytes(d.seed, key)]; ok {
			return nil
		}
		old, err := store.DecodeValues(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", mapping.DisplayKey(string(key)), err)
		}
		d.gone(string(key), old)
		return d.flush(false)
	})
	if err != nil {
		return fmt.Errorf("read delivered state of %s: %w", d.ent, err)
	}
	if err := d.flush(true); err != nil {
		return err
	}
	d.seen = nil
	if d.ent == mapping.Employments {
		d.r.employeeCounts(d.groups)
	}
	if d.widened > 0 {
		// Once, after an upgrade: every record gains the new columns, so it reads as changed.
		d.r.log(runlog.Log{Level: runlog.Melding, Entity: d.ent, Code: "run.columns_added", Args: []string{strconv.Itoa(d.widened), mapping.FileOf(d.ent)}})
	}
	d.groups = nil
	d.r.guard(d.ent, d.removals, d.previous)
	d.r.early.ready(d.ent, d.takeStream())
	return nil
}

// takeStream hands over the file written as the entity was staged, when it holds the whole
// file; nil otherwise. The stager has stopped.
func (d *diff) takeStream() *streamFile {
	s := d.stream
	d.stream = nil
	if !s.written() {
		return nil
	}
	return s
}

// dropStream removes a file written as the entity was staged that nobody took (a run that
// failed before the entity finished). The stager has stopped.
func (d *diff) dropStream() {
	if d.stream != nil {
		d.stream.giveUp()
		d.stream = nil
	}
}

// gone handles a record delivered before that AFAS no longer has.
func (d *diff) gone(key string, old []string) {
	if d.ent == mapping.Users {
		// koppel never deletes an account: one it delivered that no longer qualifies is
		// deactivated, and stays delivered as such so Xpert Suite does not remove it.
		if old[mapping.UserStatusCol] == mapping.StatusGedeactiveerd {
			d.c.Unchanged++
			return
		}
		deact := slices.Clone(old)
		deact[mapping.UserStatusCol] = mapping.StatusGedeactiveerd
		d.c.Deleted++
		d.removals++
		d.stage(key, Gewijzigd, deact)
		d.r.change(d.ent, key, Gewijzigd, old, deact)
		d.r.log(runlog.Log{Level: runlog.Melding, Entity: d.ent, Key: mapping.DisplayKey(key), Code: "run.deactivated"})
		return
	}
	d.c.Deleted++
	d.removals++
	d.stage(key, Verwijderd, old)
	d.r.change(d.ent, key, Verwijderd, old, nil)
	if d.ent == mapping.Employments {
		d.groups.gone(old[mapping.EmploymentPNCol])
	}
}

func (r *run) change(ent, key, kind string, before, after []string) {
	r.changeMu.Lock()
	defer r.changeMu.Unlock()
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
	r.changeMu.Lock()
	r.rec.Blocked = append(r.rec.Blocked, store.GuardHit{Entity: ent, Deleted: removals, Previous: previous, Limit: share * 100})
	r.changeMu.Unlock()
	r.log(runlog.Log{Level: runlog.Uitval, Entity: ent, Code: "run.guard", Args: args})
}

// groupTally derives the employee counts from employment rows: per personnel number (by hash,
// eight bytes each), one byte of flags.
type groupTally struct {
	seed  maphash.Seed
	flags map[uint64]uint8
}

const (
	gSeen uint8 = 1 << iota
	gChanged
	gAllNew
	gRemoved
)

func newGroupTally() *groupTally {
	return &groupTally{seed: maphash.MakeSeed(), flags: map[uint64]uint8{}}
}

// touch notes a record of group; a nil tally (an entity whose groups are not counted) notes
// nothing.
func (g *groupTally) touch(group, kind string) {
	if g == nil {
		return
	}
	h := maphash.String(g.seed, group)
	f := g.flags[h]
	first := f&gSeen == 0
	f |= gSeen
	switch kind {
	case Nieuw:
		if first {
			f |= gAllNew
		}
		f |= gChanged
	case Gewijzigd:
		f |= gChanged
		f &^= gAllNew
	default:
		f &^= gAllNew
	}
	g.flags[h] = f
}

func (g *groupTally) gone(group string) { g.flags[maphash.String(g.seed, group)] |= gRemoved }

func (r *run) employeeCounts(g *groupTally) {
	c := r.rec.Entities[mapping.Employees]
	if c == nil {
		return
	}
	for _, f := range g.flags {
		switch {
		case f&gSeen == 0:
			c.Deleted++
		case f&gAllNew != 0 && f&gRemoved == 0:
			c.New++
		case f&(gChanged|gRemoved) != 0:
			c.Changed++
		default:
			c.Unchanged++
		}
	}
}

// differ compares batches of an entity's records on a goroutine of its own, so that what maps
// them — and what waits for the mapping: the absences are settled once every employment is
// mapped — goes on meanwhile.
type differ struct {
	in   chan []mapping.Record
	done chan struct{}
	firstErr
}

func (d *diff) startDiffer() *differ {
	f := &differ{in: make(chan []mapping.Record, 1), done: make(chan struct{}), firstErr: firstErr{r: d.r}}
	go func() {
		defer close(f.done)
		for batch := range f.in {
			if f.failed() != nil {
				continue // the run fails; what is left is dropped
			}
			if err := d.records(batch); err != nil {
				f.fail(err)
			}
		}
	}()
	return f
}

// add hands over a batch, which the differ owns from then on; it returns an earlier failure.
func (f *differ) add(batch []mapping.Record) error {
	if err := f.failed(); err != nil {
		return err
	}
	f.in <- batch
	return nil
}

// wait compares what was handed over and returns the first failure.
func (f *differ) wait() error {
	close(f.in)
	<-f.done
	return f.err
}
