package engine

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// pipeline takes the pages of every connector as they arrive and runs them through the rules
// and the comparison. Entities that depend on others wait for the indexes they need, never for
// rows: employments for the department tree and their employee in the index (join.go), manager
// accounts and absences for the set of delivered employees.
type pipeline struct {
	r    *run
	sess Session
	m    *mapping.Mapper

	pages map[string]chan []any // per connector role
	diffs map[string]*diff      // per delivered entity

	werknemer, verzuim, managers, flex bool
	documenten                         bool
	docs                               *docStage

	closeMu sync.Mutex
	closed  map[string]bool

	joinWait int // how many employment rows may wait in memory for their employee
}

func newPipeline(r *run, sess Session, m *mapping.Mapper, roles []string, sel connectors.Selection) *pipeline {
	pl := &pipeline{r: r, sess: sess, m: m, pages: map[string]chan []any{}, diffs: map[string]*diff{}, closed: map[string]bool{}, joinWait: joinWaiting,
		werknemer: sel.Werknemer, verzuim: sel.Verzuim, managers: sel.Werknemer && r.p.Couplings.Werknemer.Managers, flex: sel.Flex,
		documenten: sel.Documenten}
	for _, role := range roles {
		// One page of slack per connector; a range that finds the channel full waits without
		// holding a call slot.
		pl.pages[role] = make(chan []any, 1)
	}
	for _, ent := range pl.entities() {
		pl.diffs[ent] = r.newDiff(sess, ent)
	}
	if sel.Werknemer {
		// Employees are counted from their employment rows.
		r.rec.Entities[mapping.Employees] = &store.EntityCounts{}
	}
	return pl
}

// entities are the delivered entities, in file order.
func (pl *pipeline) entities() []string {
	var out []string
	if pl.werknemer {
		out = append(out, mapping.Departments, mapping.Employments)
		if pl.managers {
			out = append(out, mapping.Users)
		}
	}
	if pl.verzuim {
		out = append(out, mapping.Absences)
	}
	if pl.werknemer && pl.flex {
		out = append(out, mapping.Placements)
	}
	if pl.documenten {
		out = append(out, mapping.Documents)
	}
	return out
}

// feed hands a page to its connector's stage; it waits while that stage is behind.
func (pl *pipeline) feed(ctx context.Context, role string, page []any) error {
	select {
	case pl.pages[role] <- page:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// end closes a connector's input once its last range is read, so the stages that take it whole
// (departments, employees) can finish while the others still stream.
func (pl *pipeline) end(role string) {
	pl.closeMu.Lock()
	defer pl.closeMu.Unlock()
	if ch, ok := pl.pages[role]; ok && !pl.closed[role] {
		pl.closed[role] = true
		close(ch)
	}
}

// closeAll ends every input once the reader is done, also after a failure.
func (pl *pipeline) closeAll() {
	for role := range pl.pages {
		pl.end(role)
	}
}

// run processes every page until the input ends or ctx is cancelled.
func (pl *pipeline) run(ctx context.Context) error {
	treeReady, deliveredReady := make(chan struct{}), make(chan struct{})
	wait := func(chs ...chan struct{}) error {
		for _, ch := range chs {
			select {
			case <-ch:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		return nil
	}
	drain := func(role string, fn func(any) error) error {
		for page := range pl.pages[role] {
			for _, rec := range page {
				if err := fn(rec); err != nil {
					return err
				}
			}
			if err := ctx.Err(); err != nil {
				return context.Cause(ctx)
			}
		}
		return nil
	}
	// drainAfter takes a backlog's records, then the rest of the input.
	drainAfter := func(bl *backlog, role string, fn func(any) error) error {
		if err := bl.each(fn); err != nil {
			return err
		}
		return drain(role, fn)
	}
	type stage struct {
		roles []string // the connectors it reads
		fn    func() error
	}
	stages := []stage{
		{[]string{connectors.Organisatie}, func() error { // departments: small, taken whole; then the tree is there
			var units []mapping.Unit
			if err := drain(connectors.Organisatie, func(v any) error { units = append(units, v.(mapping.Unit)); return nil }); err != nil {
				return err
			}
			depts := pl.m.Units(units)
			close(treeReady)
			if d := pl.diffs[mapping.Departments]; d != nil {
				if err := d.records(depts); err != nil {
					return err
				}
				return d.finish()
			}
			return nil
		}},
		{[]string{connectors.Medewerkers, connectors.Dienstverbanden}, func() error { // employees into their index, employments streamed beside them; then manager accounts
			d := pl.diffs[mapping.Employments]
			var batch []mapping.Record
			// In flex mode a row's person fields come from its person's primary record, known
			// only after the last employment: the rows wait on disk until then.
			var held *heldRecords
			if pl.m.NeedsFill() && d != nil {
				sp, err := newHeldRecords()
				if err != nil {
					return err
				}
				defer sp.close()
				held = sp
			}
			// The comparison runs beside the mapping: the absences' settling waits for the
			// mapping only.
			var cmp *differ
			if d != nil && held == nil {
				cmp = d.startDiffer()
			}
			err := pl.join(ctx, treeReady, func(v any) error {
				if rec, ok := pl.m.Employment(recordOf[mapping.Employment](v)); ok && d != nil {
					if held != nil {
						return held.add(rec)
					}
					batch = append(batch, rec)
					if len(batch) >= stageBatch {
						err := cmp.add(batch)
						batch = make([]mapping.Record, 0, stageBatch) // the differ owns the batch now
						return err
					}
				}
				return nil
			})
			if err != nil {
				if cmp != nil {
					_ = cmp.wait()
				}
				return err
			}
			pl.m.EmploymentsDone()
			close(deliveredReady)
			if held != nil {
				if err := pl.filled(ctx, held, d); err != nil {
					return err
				}
			}
			if cmp != nil {
				if err := cmp.add(batch); err != nil {
					_ = cmp.wait()
					return err
				}
				if err := cmp.wait(); err != nil {
					return err
				}
			}
			if d != nil {
				if err := d.finish(); err != nil {
					return err
				}
			}
			if u := pl.diffs[mapping.Users]; u != nil {
				if err := u.records(pl.m.Users()); err != nil {
					return err
				}
				return u.finish()
			}
			return nil
		}},
		{[]string{connectors.Verzuim}, func() error { // absences, checked as they are read, settled once the delivered employees are known
			if _, ok := pl.pages[connectors.Verzuim]; !ok {
				return nil
			}
			// In flex mode an absence's holder is known once every employee is: the rows read
			// before that wait on disk.
			bl := &backlog{}
			if pl.m.AbsencesWait() {
				var err error
				bl, err = pl.hold(ctx, connectors.Verzuim, deliveredReady)
				defer bl.close()
				if err != nil {
					return err
				}
			}
			pl.m.Expect(mapping.Absences, bl.len())
			d := pl.diffs[mapping.Absences]
			// First pass: check every row, note what the composite periods need, and keep the
			// rows on disk; second pass, once the delivered employees are known too: settle
			// each row, fill in the periods and compare.
			st, err := newAbsenceStage(pl.m)
			if err != nil {
				return err
			}
			defer st.close()
			st.expect(bl.len())
			if err := drainAfter(bl, connectors.Verzuim, func(v any) error { return st.row(recordOf[mapping.Absence](v)) }); err != nil {
				return err
			}
			if err := wait(deliveredReady); err != nil {
				return err
			}
			if err := keepHistory(pl.sess, st.done()); err != nil {
				return err
			}
			// The comparison runs beside the replay that finishes the records.
			cmp := d.startDiffer()
			if err := st.replay(ctx, cmp.add); err != nil {
				_ = cmp.wait()
				return err
			}
			if err := cmp.wait(); err != nil {
				return err
			}
			return d.finish()
		}},
		{[]string{connectors.Plaatsingen}, func() error { // placements (flex), streamed once the delivered persons are known
			return pl.placements(ctx, wait(deliveredReady), drain)
		}},
		{[]string{connectors.Dossieritems}, func() error { return pl.documents(ctx, deliveredReady) }}, // documents, once the delivered employees are known
	}
	var wg sync.WaitGroup
	errs := make([]error, len(stages))
	for i, st := range stages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.fn(); err != nil {
				errs[i] = err
				pl.r.abort(err)
			}
			// A stage that stopped early still empties its channel, so no reader waits for ever.
			for _, role := range st.roles {
				if ch, ok := pl.pages[role]; ok {
					drainQuiet(ch)
				}
			}
		}()
	}
	wg.Wait()
	// A stage that stopped early leaves its stager behind; it ends here, before any commit.
	for _, d := range pl.diffs {
		if err := d.stop(); err != nil {
			errs = append(errs, err)
		}
		d.dropStream()
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return pl.allRejected()
}

func drainQuiet(ch chan []any) {
	for range ch {
	}
}

// allRejected fails a run in which every record of an entity was Uitval: something is wrong with
// the connector or the profile, and delivering nothing of it would archive everything.
func (pl *pipeline) allRejected() error {
	counts := pl.m.Counts()
	for _, ent := range pl.entities() {
		c, d := counts[ent], pl.diffs[ent]
		if c != nil && c.Rejected > 0 && d.c.New+d.c.Changed+d.c.Unchanged == 0 {
			pl.r.log(runlog.Log{Level: runlog.Uitval, Entity: ent, Code: "run.all_rejected", Args: []string{strconv.Itoa(c.Rejected), ent}})
			return fmt.Errorf("every record of %s was rejected (%d Uitval); see the log", ent, c.Rejected)
		}
	}
	return nil
}
