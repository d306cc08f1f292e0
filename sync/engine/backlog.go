package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/values"
)

// A backlog keeps a connector's pages on disk while its stage waits for the indexes it needs
// (absences for the delivered employees; employments for their employees, once too many wait
// in memory). The reader then never waits on another connector's rules: every connector is read
// and decoded from the start of the run, side by side, and no waiting row is held in memory.
type backlog struct {
	rf  *rowFile
	buf []byte
	mem [][]any     // pages of a kind the backlog does not encode (kept as they came, in order)
	ss  strs        // the strings of the record being written
	sr  stringsRead // the strings of the record being read
}

// hold takes role's pages into a backlog until every channel of ready is closed, and returns
// it, to be taken before the rest of the input. A page of a record type the backlog cannot
// encode stops the holding: the stage then waits as it would without a backlog.
func (pl *pipeline) hold(ctx context.Context, role string, ready ...chan struct{}) (*backlog, error) {
	all := make(chan struct{})
	go func() {
		for _, ch := range ready {
			select {
			case <-ch:
			case <-ctx.Done():
				return
			}
		}
		close(all)
	}()
	bl := &backlog{}
	in := pl.pages[role]
	for {
		select {
		case <-all:
			return bl, nil
		case <-ctx.Done():
			return bl, context.Cause(ctx)
		case page, ok := <-in:
			if !ok {
				in = nil // the input ended: only the indexes are awaited now
				continue
			}
			held, err := bl.add(page)
			if err != nil {
				return bl, fmt.Errorf("hold %s while waiting: %w", role, err)
			}
			if !held {
				in = nil
			}
		}
	}
}

// add writes a page to disk; held is false when its records are of a kind the backlog does not
// encode (the page is then kept in memory, and no more should be added).
func (bl *backlog) add(page []any) (held bool, err error) {
	if len(bl.mem) > 0 || len(page) > 0 && !encodable(page[0]) {
		bl.mem = append(bl.mem, page)
		return false, nil
	}
	if bl.rf == nil && len(page) > 0 {
		if bl.rf, err = newRowFile("backlog"); err != nil {
			return false, err
		}
	}
	for _, v := range page {
		b, ok := appendRecord(bl.buf[:0], &bl.ss, v)
		if !ok {
			return false, fmt.Errorf("a %T among other records", v)
		}
		bl.buf = b
		if err := bl.rf.add(b); err != nil {
			return false, err
		}
	}
	return true, nil
}

// len is how many records are held.
func (bl *backlog) len() int {
	n := 0
	if bl.rf != nil {
		n = bl.rf.n
	}
	for _, page := range bl.mem {
		n += len(page)
	}
	return n
}

// each hands every held record to fn, in the order the pages came.
func (bl *backlog) each(fn func(any) error) error {
	if bl.rf != nil {
		if err := bl.replay(fn); err != nil {
			return err
		}
	}
	for _, page := range bl.mem {
		for _, v := range page {
			if err := fn(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// backlogBatch is how many records the reading goroutine of a replay decodes ahead.
const backlogBatch = 1024

// replayBatch is a batch of records read back: pointers into its own slabs, which the next
// batches reuse once fn has taken them (a replay allocates no record).
type replayBatch struct {
	recs []any
	emp  []mapping.Employment
	abs  []mapping.Absence
}

// replay reads the records back on a goroutine of its own, a batch or two ahead of fn: reading
// and decoding go on beside the rules. fn gets each record as a pointer that is valid during
// the call only (recordOf copies it).
func (bl *backlog) replay(fn func(any) error) error {
	batches := make(chan *replayBatch, 2)
	free := make(chan *replayBatch, 4)
	stop := make(chan struct{})
	var readErr error
	go func() {
		defer close(batches)
		fresh := func() *replayBatch {
			select {
			case b := <-free:
				b.recs, b.emp, b.abs = b.recs[:0], b.emp[:0], b.abs[:0]
				return b
			default:
				return &replayBatch{recs: make([]any, 0, backlogBatch)}
			}
		}
		batch := fresh()
		readErr = bl.rf.each(func(b []byte) error {
			v, err := bl.decode(b, batch)
			if err != nil {
				return err
			}
			if batch.recs = append(batch.recs, v); len(batch.recs) == backlogBatch {
				select {
				case batches <- batch:
				case <-stop:
					return errStopped
				}
				batch = fresh()
			}
			return nil
		})
		if readErr == nil && len(batch.recs) > 0 {
			select {
			case batches <- batch:
			case <-stop:
			}
		}
	}()
	var err error
	for batch := range batches {
		for _, v := range batch.recs {
			if err == nil {
				err = fn(v)
			}
		}
		select {
		case free <- batch:
		default:
		}
		if err != nil {
			select {
			case <-stop:
			default:
				close(stop) // the reader ends; the loop takes what it had sent
			}
		}
	}
	if err != nil {
		return err
	}
	return readErr
}

// recordOf returns a record of type T that a stage was handed: a value from a page, or a
// pointer from a backlog's replay (copied here, as the replay reuses it).
func recordOf[T any](v any) T {
	if p, ok := v.(*T); ok {
		return *p
	}
	return v.(T)
}

// errStopped ends a replay's reading when its consumer has failed.
var errStopped = errors.New("replay stopped")

func (bl *backlog) close() {
	if bl.rf != nil {
		bl.rf.close()
	}
}

// The encoded forms: a tag, the fixed fields, then the record's strings — their lengths first,
// then their bytes — so that reading a record back costs one string allocation.
const (
	tagEmployment = 'D'
	tagAbsence    = 'V'
)

func encodable(v any) bool {
	switch v.(type) {
	case mapping.Employment, mapping.Absence, *mapping.Employment, *mapping.Absence:
		return true
	}
	return false
}

// strs collects a record's strings while its fixed fields are written.
type strs []string

// appendRecord encodes v; ss is scratch for its strings.
func appendRecord(b []byte, scratch *strs, v any) ([]byte, bool) {
	ss := (*scratch)[:0]
	defer func() { *scratch = ss[:0] }()
	// The decoders hand out pointers into their slabs (encoded as they are: boxing a copy would
	// cost an allocation per row); records made otherwise are values.
	switch r := v.(type) {
	case mapping.Employment:
		v = &r
	case mapping.Absence:
		v = &r
	}
	switch r := v.(type) {
	case *mapping.Employment:
		b = append(b, tagEmployment)
		b = binary.AppendVarint(b, r.Dienstverband)
		b = appendTime(b, r.Begin)
		b = appendTime(b, r.Einde)
		ss = append(ss, r.Medewerker, r.Employer, r.Afdeling, r.FunctieCode, r.Functie, r.TypeContract, r.Manager, r.SalaryBad)
		b = appendValue(b, &ss, r.Uren)
		b = appendValue(b, &ss, r.Parttime)
		b = appendValue(b, &ss, r.Salary)
		b = appendProblems(b, &ss, r.Errs, r.Cleaned)
	case *mapping.Absence:
		b = append(b, tagAbsence)
		b = binary.AppendVarint(b, r.VerzuimID)
		b = binary.AppendVarint(b, r.VerloopID)
		for _, t := range [...]time.Time{r.EersteDag, r.Ziekmelding, r.VerwachtHerstel, r.Herstel, r.VerloopDatum} {
			b = appendTime(b, t)
		}
		b = append(b, boolByte(r.Vangnet))
		ss = append(ss, r.Medewerker, r.Employer, r.Type, r.TypeOmschrijving)
		b = appendValue(b, &ss, r.Aanwezig)
		b = appendProblems(b, &ss, r.Errs, r.Cleaned)
	default:
		return b, false
	}
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = binary.AppendUvarint(b, uint64(len(s)))
	}
	for _, s := range ss {
		b = append(b, s...)
	}
	return b, true
}

// appendTime writes a time as a flag (0: the zero time) and its Unix seconds and nanoseconds;
// it reads back in UTC, as AFAS's dates are decoded.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	return binary.AppendUvarint(binary.AppendVarint(append(b, 1), t.Unix()), uint64(t.Nanosecond()))
}

func appendValue(b []byte, ss *strs, v values.Value) []byte {
	b = binary.AppendVarint(b, int64(v.Kind))
	b = append(b, boolByte(v.Null), boolByte(v.Bool))
	b = binary.AppendVarint(b, v.Int)
	b = binary.AppendVarint(b, int64(v.Dec))
	*ss = append(*ss, v.Str)
	return appendTime(b, v.Time)
}

// appendProblems writes the counts of the field errors and cleaned fields; their texts go with
// the strings (an error keeps only its message).
func appendProblems(b []byte, ss *strs, errs []values.FieldError, cleaned []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(errs)))
	b = binary.AppendUvarint(b, uint64(len(cleaned)))
	for _, e := range errs {
		msg := ""
		if e.Err != nil {
			msg = e.Err.Error()
		}
		b = append(b, boolByte(e.Err != nil))
		*ss = append(*ss, e.Field, msg)
	}
	*ss = append(*ss, cleaned...)
	return b
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// decode reads a record written by appendRecord into the next slot of into's slabs and returns
// a pointer to it. A batch holds backlogBatch records at most, so a slab never grows (which
// would move the records already handed out); without into, the record gets a slot of its own.
func (bl *backlog) decode(b []byte, into *replayBatch) (any, error) {
	if into == nil {
		into = &replayBatch{emp: make([]mapping.Employment, 0, 1), abs: make([]mapping.Absence, 0, 1)}
	}
	rd := &rowReader{b: b}
	sr := &bl.sr
	switch rd.byte() {
	case tagEmployment:
		if into.emp == nil {
			into.emp = make([]mapping.Employment, 0, backlogBatch)
		}
		into.emp = append(into.emp, mapping.Employment{})
		r := &into.emp[len(into.emp)-1]
		r.Dienstverband = rd.varint()
		r.Begin = rd.time()
		r.Einde = rd.time()
		r.Uren, r.Parttime, r.Salary = rd.value(), rd.value(), rd.value()
		nErr, nCl, hasErr := rd.problems()
		if !sr.read(rd) {
			return nil, errUnreadable
		}
		r.Medewerker, r.Employer, r.Afdeling, r.FunctieCode = sr.next(), sr.next(), sr.next(), sr.next()
		r.Functie, r.TypeContract, r.Manager, r.SalaryBad = sr.next(), sr.next(), sr.next(), sr.next()
		r.Uren.Str, r.Parttime.Str, r.Salary.Str = sr.next(), sr.next(), sr.next()
		r.Errs, r.Cleaned = sr.problems(nErr, nCl, hasErr)
		if !sr.done() {
			return nil, errUnreadable
		}
		return r, nil
	case tagAbsence:
		if into.abs == nil {
			into.abs = make([]mapping.Absence, 0, backlogBatch)
		}
		into.abs = append(into.abs, mapping.Absence{})
		r := &into.abs[len(into.abs)-1]
		r.VerzuimID, r.VerloopID = rd.varint(), rd.varint()
		r.EersteDag, r.Ziekmelding, r.VerwachtHerstel, r.Herstel, r.VerloopDatum = rd.time(), rd.time(), rd.time(), rd.time(), rd.time()
		r.Vangnet = rd.byte() == 1
		r.Aanwezig = rd.value()
		nErr, nCl, hasErr := rd.problems()
		if !sr.read(rd) {
			return nil, errUnreadable
		}
		r.Medewerker, r.Employer, r.Type, r.TypeOmschrijving = sr.next(), sr.next(), sr.next(), sr.next()
		r.Aanwezig.Str = sr.next()
		r.Errs, r.Cleaned = sr.problems(nErr, nCl, hasErr)
		if !sr.done() {
			return nil, errUnreadable
		}
		return r, nil
	}
	return nil, errUnreadable
}

// stringsRead hands out a record's strings, in the order written, as substrings of one string.
type stringsRead struct {
	all  string
	lens []int
	i    int
	at   int
	bad  bool
}

// read takes the strings section that ends a record: the count, the lengths, the bytes.
func (sr *stringsRead) read(rd *rowReader) bool {
	n := rd.uvarint()
	if rd.bad || n > uint64(len(rd.rest())) {
		return false
	}
	sr.lens, sr.i, sr.at, sr.bad = sr.lens[:0], 0, 0, false
	total := 0
	for j := uint64(0); j < n; j++ {
		l := int(rd.uvarint())
		sr.lens = append(sr.lens, l)
		total += l
	}
	if rd.bad || total != len(rd.rest()) {
		return false
	}
	sr.all = string(rd.rest()) // one allocation for every string of the record
	return true
}

func (sr *stringsRead) next() string {
	if sr.i >= len(sr.lens) {
		sr.bad = true
		return ""
	}
	s := sr.all[sr.at : sr.at+sr.lens[sr.i]]
	sr.at += sr.lens[sr.i]
	sr.i++
	return s
}

// done tells whether every string was taken, and no more.
func (sr *stringsRead) done() bool { return !sr.bad && sr.i == len(sr.lens) }

// problems reads the texts of the field errors and cleaned fields.
func (sr *stringsRead) problems(nErr, nCl uint64, hasErr []bool) ([]values.FieldError, []string) {
	var errs []values.FieldError
	var cleaned []string
	for j := uint64(0); j < nErr; j++ {
		e := values.FieldError{Field: sr.next()}
		if msg := sr.next(); hasErr[j] {
			e.Err = errors.New(msg)
		}
		errs = append(errs, e)
	}
	for j := uint64(0); j < nCl; j++ {
		cleaned = append(cleaned, sr.next())
	}
	return errs, cleaned
}

// problems reads the counts of field errors and cleaned fields, and which errors carry an error.
func (r *rowReader) problems() (nErr, nCl uint64, hasErr []bool) {
	nErr, nCl = r.uvarint(), r.uvarint()
	if left := uint64(len(r.rest())); nErr > left || nCl > left { // each needs a byte at least
		r.bad = true
		return 0, 0, nil
	}
	for j := uint64(0); j < nErr; j++ {
		hasErr = append(hasErr, r.byte() == 1)
	}
	return nErr, nCl, hasErr
}

func (r *rowReader) time() time.Time {
	if r.byte() == 0 {
		return time.Time{}
	}
	sec := r.varint()
	return time.Unix(sec, int64(r.uvarint())).UTC()
}

func (r *rowReader) value() values.Value {
	v := values.Value{Kind: values.Kind(r.varint())}
	v.Null = r.byte() == 1
	v.Bool = r.byte() == 1
	v.Int = r.varint()
	v.Dec = values.Dec(r.varint())
	v.Time = r.time()
	return v
}
