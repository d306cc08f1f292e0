package engine

import (
	"bufio"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/periods"
	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// periodIndex gathers, per holder, the absences the composite-period rules need — one entry per
// VerzuimId, with the dates of its progress row with the lowest VerloopId — while the absence
// rows stream past. It holds a few numbers per absence, never the rows: a run holds it next to
// the employee index, so it is flat (no map and no allocation per holder or per absence).
type periodIndex struct {
	holderIDs map[string]uint32 // by WerkgeverCode and Personeelsnummer joined by KeySep
	holders   chunked[holderKey]
	key       []byte                // a holder's map key being looked up
	byID      map[absenceRef]uint32 // the entry of an absence
	entries   chunked[periodEntry]
	kept      []historyAbsence // after compute: the history absences the poortwachter view needs
}

// holderKey is a holder as delivered: WerkgeverCode and Personeelsnummer, and the Medewerker
// whose being delivered decides the holder's (the rows are read before that is known); after
// compute, problem is why the holder is not delivered ("": it is).
type holderKey struct{ employer, employee, medewerker, problem string }

// absenceRef is an absence of a holder: its VerzuimId.
type absenceRef struct {
	holder uint32
	id     int64
}

type periodEntry struct {
	id        int64 // VerzuimId
	verloop   int64 // the lowest VerloopId seen
	first     mapping.Day
	recovered mapping.Day
	cols      string // after compute: ZiekteperiodeId, EersteDagZiekteperiode, EindeWachttijd, joined by KeySep
	holder    uint32
	delivered bool // at least one of its rows is delivered (not read only for the history)
}

func newPeriodIndex() *periodIndex {
	return &periodIndex{holderIDs: map[string]uint32{}, byID: map[absenceRef]uint32{}}
}

// holder returns the number of a holder, adding it when it is new. The index keeps its own copy
// of the codes, so no row's text stays reachable through it.
func (pi *periodIndex) holder(employer, employee, medewerker string) uint32 {
	pi.key = append(append(append(pi.key[:0], employer...), mapping.KeySep...), employee...)
	if h, ok := pi.holderIDs[string(pi.key)]; ok {
		return h
	}
	n := len(pi.key)
	all := string(append(append(pi.key, mapping.KeySep...), medewerker...))
	h := pi.holders.add(holderKey{employer: all[:len(employer)], employee: all[len(employer)+len(mapping.KeySep) : n], medewerker: all[n+len(mapping.KeySep):]})
	pi.holderIDs[all[:n]] = h
	return h
}

// note takes the period facts of a progress row of medewerker: to deliver (should its holder be
// delivered), or read only for the history window (it shapes periods, never a file). It returns
// the number of the row's entry.
func (pi *periodIndex) note(r *mapping.AbsenceRow, delivered bool, medewerker string) uint32 {
	ref := absenceRef{pi.holder(r.Employer, r.Employee, medewerker), r.VerzuimID}
	i, ok := pi.byID[ref]
	if !ok {
		i = pi.entries.add(periodEntry{holder: ref.holder, id: ref.id, verloop: r.VerloopID, first: r.EersteDag, recovered: r.Herstel, delivered: delivered})
		pi.byID[ref] = i
		return i
	}
	e := pi.entries.at(i)
	if r.VerloopID < e.verloop {
		e.verloop, e.first, e.recovered = r.VerloopID, r.EersteDag, r.Herstel
	}
	e.delivered = e.delivered || delivered
	return i
}

// add notes a delivered row (koppel explain's form).
func (pi *periodIndex) add(a mapping.AbsenceInfo) {
	employer, employee, _ := strings.Cut(a.Holder, mapping.KeySep)
	pi.note(&mapping.AbsenceRow{Employer: employer, Employee: employee, VerzuimID: a.VerzuimID, VerloopID: a.VerloopID,
		EersteDag: mapping.DayOf(a.FirstDay), Herstel: mapping.DayOf(a.Recovered)}, true, "")
}

// eachHolder calls fn with the absences of every holder, in the order of the holders' codes.
func (pi *periodIndex) eachHolder(fn func(holder string, abs []periods.Absence)) {
	names := make([]string, pi.holders.n)
	lists := make([][]periods.Absence, pi.holders.n)
	for i := range names {
		h := pi.holders.at(uint32(i))
		names[i] = h.employer + mapping.KeySep + h.employee
	}
	for i := 0; i < pi.entries.n; i++ {
		e := pi.entries.at(uint32(i))
		lists[e.holder] = append(lists[e.holder], e.absence())
	}
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	for _, i := range order {
		fn(names[i], lists[i])
	}
}

func (e *periodEntry) absence() periods.Absence {
	return periods.Absence{ID: e.id, FirstDay: e.first.Time(), Recovered: e.recovered.Time()}
}

// compute applies the composite-period rules to every holder that problem (the mapper's
// AbsenceHolderProblem; nil: none) finds delivered: each entry gets its period's columns (one
// string per period), and kept the history absences of the periods that have a delivered
// absence. A holder keeps its problem, for the rows to be settled.
func (pi *periodIndex) compute(problem func(medewerker string) string) periodCols {
	// The entries grouped by holder, by counting.
	start := make([]uint32, pi.holders.n+1)
	for i := 0; i < pi.entries.n; i++ {
		start[pi.entries.at(uint32(i)).holder+1]++
	}
	for h := range pi.holders.n {
		start[h+1] += start[h]
	}
	order := make([]uint32, pi.entries.n)
	next := append([]uint32(nil), start[:pi.holders.n]...)
	for i := 0; i < pi.entries.n; i++ {
		h := pi.entries.at(uint32(i)).holder
		order[next[h]] = uint32(i)
		next[h]++
	}
	var list []periods.Absence
	var text []byte
	var idx []uint32
	for h := range pi.holders.n {
		if problem != nil {
			hk := pi.holders.at(uint32(h))
			if hk.problem = problem(hk.medewerker); hk.problem != "" {
				continue // none of its rows is delivered: they shape nothing
			}
		}
		// The holder's entries in the order Spans sorts them (first day, then VerzuimId, which
		// is unique), so that a span's absences are the entries at the same places: no lookup
		// by id.
		idx = append(idx[:0], order[start[h]:start[h+1]]...)
		slices.SortFunc(idx, func(a, b uint32) int {
			ea, eb := pi.entries.at(a), pi.entries.at(b)
			if c := spanDay(ea.first).Compare(spanDay(eb.first)); c != 0 {
				return c
			}
			return cmp.Compare(ea.id, eb.id)
		})
		list = list[:0]
		for _, i := range idx {
			list = append(list, pi.entries.at(i).absence())
		}
		periods.Spans(list, func(s periods.Span) {
			text = strconv.AppendInt(text[:0], s.ID, 10)
			text = mapping.DayOf(s.FirstDay).Append(append(text, mapping.KeySep...))
			text = mapping.DayOf(s.EndOfWaiting).Append(append(text, mapping.KeySep...))
			cols := string(text)
			delivered := false
			for k := s.Start; k < s.End; k++ {
				e := pi.entries.at(idx[k])
				e.cols = cols
				delivered = delivered || e.delivered
			}
			if !delivered {
				return // only history: it shapes nothing that was delivered
			}
			for k := s.Start; k < s.End; k++ {
				if e := pi.entries.at(idx[k]); !e.delivered {
					pi.kept = append(pi.kept, historyAbsence{holder: *pi.holders.at(uint32(h)), id: e.id, first: e.first, recovered: e.recovered})
				}
			}
		})
	}
	return periodCols{pi}
}

// spanDay is a first day as Spans orders it: no date is the zero time, 0001-01-01.
func spanDay(d mapping.Day) mapping.Day {
	if d.IsZero() {
		return mapping.Day{Y: 1, M: 1, D: 1}
	}
	return d
}

// period returns the three period columns of an entry (after compute).
func (e *periodEntry) period() (cols [mapping.AbsencePeriodCols]string) {
	s := e.cols
	cols[0], s, _ = strings.Cut(s, mapping.KeySep)
	cols[1], cols[2], _ = strings.Cut(s, mapping.KeySep)
	return cols
}

// periodCols fills the period columns of finished records (koppel explain's form).
type periodCols struct{ pi *periodIndex }

// fill writes the period columns of an absence record.
func (pc periodCols) fill(rec *mapping.Record, info mapping.AbsenceInfo) {
	h, ok := pc.pi.holderIDs[info.Holder]
	if !ok {
		return
	}
	i, ok := pc.pi.byID[absenceRef{h, info.VerzuimID}]
	if !ok {
		return
	}
	cols := pc.pi.entries.at(i).period()
	copy(rec.Values[len(rec.Values)-mapping.AbsencePeriodCols:], cols[:])
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// chunked is a slice that grows by fixed chunks: a slice grown by append copies itself over and
// over (about five times its final size for a large customer), and an element stays in place.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

const chunkLen = 1024

// add appends v and returns its number.
func (c *chunked[T]) add(v T) uint32 {
	if c.n%chunkLen == 0 {
		c.chunks = append(c.chunks, make([]T, 0, chunkLen))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
	return uint32(c.n - 1)
}

func (c *chunked[T]) at(i uint32) *T { return &c.chunks[i/chunkLen][i%chunkLen] }

// rowFile holds encoded rows of a run on disk, in the order written: a temporary file private to
// the run, in the system's temporary folder, mode 0600, unlinked as soon as it is made where the
// system lets an open file be (Unix), so that its rows — personal data — go with the process
// however it ends, a kill included; elsewhere removed when the run ends.
type rowFile struct {
	f   *os.File
	w   *bufio.Writer
	n   int
	buf []byte
}

func newRowFile(what string) (*rowFile, error) {
	f, err := os.CreateTemp("", "koppel-"+what+"-*")
	if err != nil {
		return nil, fmt.Errorf("temporary file for %s: %w", what, err)
	}
	_ = os.Remove(f.Name()) // refused for an open file on Windows: close removes it there
	return &rowFile{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// add writes one row.
func (s *rowFile) add(b []byte) error {
	var n [binary.MaxVarintLen64]byte
	if _, err := s.w.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))]); err != nil {
		return err
	}
	_, err := s.w.Write(b)
	s.n++
	return err
}

// each reads the rows back in the order written; b is valid only during fn (one buffer serves
// every row).
func (s *rowFile) each(fn func(b []byte) error) error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(s.f, 64<<10)
	for i := 0; i < s.n; i++ {
		size, err := binary.ReadUvarint(r)
		if err != nil {
			return fmt.Errorf("temporary rows: %w", err)
		}
		if uint64(cap(s.buf)) < size {
			s.buf = make([]byte, size)
		}
		b := s.buf[:size]
		if _, err := io.ReadFull(r, b); err != nil {
			return fmt.Errorf("temporary rows: %w", err)
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

func (s *rowFile) close() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// errUnreadable is a temporary row that does not read back as written.
var errUnreadable = errors.New("temporary rows: unreadable record")

// rowReader reads the fields of an encoded row; a short or corrupt row sets bad. It moves an
// offset, not the slice: a slice stored anew for every field costs a write barrier each while
// the collector marks.
type rowReader struct {
	b   []byte
	off int
	bad bool
}

// rest is what is not read yet.
func (r *rowReader) rest() []byte { return r.b[r.off:] }

func (r *rowReader) fail() {
	r.bad, r.off = true, len(r.b)
}

func (r *rowReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail()
		return 0
	}
	r.off += n
	return v
}

func (r *rowReader) varint() int64 {
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail()
		return 0
	}
	r.off += n
	return v
}

func (r *rowReader) byte() byte {
	if r.off >= len(r.b) {
		r.bad = true
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

// bytes reads a length and that many bytes.
func (r *rowReader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)-r.off) {
		r.fail()
		return nil
	}
	v := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return v
}

func appendBytes(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendDay writes a day: its month (0: no date), then its day and year.
func appendDay(b []byte, d mapping.Day) []byte {
	if d.IsZero() {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, d.M, d.D), int64(d.Y))
}

func (r *rowReader) day() mapping.Day {
	m := r.byte()
	if m == 0 {
		return mapping.Day{}
	}
	d := r.byte()
	return mapping.Day{Y: int32(r.varint()), M: m, D: d}
}

// heldRecords holds finished records on disk until they can be completed (the employment rows
// of flex mode wait for their person's primary record).
type heldRecords struct {
	rf   *rowFile
	buf  []byte
	text []byte
	ends []int
}

func newHeldRecords() (*heldRecords, error) {
	rf, err := newRowFile("records")
	if err != nil {
		return nil, err
	}
	return &heldRecords{rf: rf}, nil
}

// add writes a record: the number of values, then key, group and values, each with its length.
func (h *heldRecords) add(rec mapping.Record) error {
	b := binary.AppendUvarint(h.buf[:0], uint64(len(rec.Values)))
	b = appendBytes(appendBytes(b, rec.Key), rec.Group)
	for _, v := range rec.Values {
		b = appendBytes(b, v)
	}
	h.buf = b
	return h.rf.add(b)
}

// replay reads the records back in order, completes each with fill and hands them to sink in
// staging batches. A record's text is one string, its key, group and values substrings of it.
func (h *heldRecords) replay(ctx context.Context, sink func([]mapping.Record) error, fill func(*mapping.Record)) error {
	var batch []mapping.Record
	err := h.rf.each(func(b []byte) error {
		r := rowReader{b: b}
		n := r.uvarint()
		if n > uint64(len(b)) {
			return errUnreadable
		}
		h.text, h.ends = h.text[:0], h.ends[:0]
		for i := uint64(0); i < n+2; i++ {
			h.text = append(h.text, r.bytes()...)
			h.ends = append(h.ends, len(h.text))
		}
		if r.bad || len(r.rest()) > 0 {
			return errUnreadable
		}
		text := string(h.text)
		vals := make([]string, n)
		for i := range vals {
			vals[i] = text[h.ends[i+1]:h.ends[i+2]]
		}
		rec := mapping.Record{Key: text[:h.ends[0]], Group: text[h.ends[0]:h.ends[1]], Values: vals}
		fill(&rec)
		batch = append(batch, rec)
		if len(batch) >= stageBatch {
			err := sink(batch)
			batch = make([]mapping.Record, 0, stageBatch) // the sink may keep the batch
			return err
		}
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	return sink(batch)
}

func (h *heldRecords) close() { h.rf.close() }

// absenceStage is the absence stage of a run: a first pass checks every row as it is read (the
// rules that do not depend on the employments), notes what the composite periods need and keeps
// the rows on disk; once the last row is read and the last employment mapped, the periods are
// computed, and a second pass settles each row (its employee delivered or not, its log lines)
// and writes the records, complete, and hands them on.
type absenceStage struct {
	m     *mapping.Mapper
	idx   *periodIndex
	rf    *rowFile
	buf   []byte
	cl    map[string]string // the classifications read back, each string once
	text  []byte
	check mapping.AbsenceCheck // the row being settled
}

func newAbsenceStage(m *mapping.Mapper) (*absenceStage, error) {
	rf, err := newRowFile("absences")
	if err != nil {
		return nil, err
	}
	return &absenceStage{m: m, idx: newPeriodIndex(), rf: rf, cl: map[string]string{}}, nil
}

// expect sizes the period index, before the first row, for about n rows (those a backlog
// holds), so that its maps are not grown row by row.
func (st *absenceStage) expect(n int) {
	if n <= 0 {
		return
	}
	st.idx.byID = make(map[absenceRef]uint32, n)
	st.idx.holderIDs = make(map[string]uint32, n/2) // a holder has about two progress rows
}

// row takes one Koppel_Verzuim row (after EmploymentsDone where the mapper's absences wait).
func (st *absenceStage) row(a mapping.Absence) error {
	if st.m.IsHistory(a) {
		if r, ok := st.m.CheckHistoryRow(a); ok {
			st.idx.note(&r, false, a.Medewerker)
		}
		return nil
	}
	c, ok := st.m.CheckAbsence(a)
	if !ok {
		return nil
	}
	// The row as it waits: the number of its entry in the period index (its holder and
	// period) plus one, or 0 for a row a rule rejected, then its IDs, and what settling it needs
	// (a rejected row's Medewerker and rule); its log lines; the days and numbers in binary, the
	// classification as text.
	var ref uint64
	if !c.Early && !c.Late {
		ref = uint64(st.idx.note(&c.Row, true, c.Medewerker)) + 1
	}
	b := binary.AppendUvarint(st.buf[:0], ref)
	b = binary.AppendVarint(binary.AppendVarint(b, c.Row.VerzuimID), c.Row.VerloopID)
	if ref == 0 {
		flags := byte(0)
		if c.Early {
			flags |= 1
		}
		if c.Late {
			flags |= 2
		}
		b = append(appendBytes(b, c.Medewerker), flags)
	}
	b = binary.AppendUvarint(b, uint64(len(c.Logs)))
	for _, l := range c.Logs {
		b = appendBytes(appendBytes(append(b, byte(l.Level)), l.Key), l.Code)
		b = binary.AppendUvarint(b, uint64(len(l.Args)))
		for _, arg := range l.Args {
			b = appendBytes(b, arg)
		}
	}
	if ref > 0 {
		r := &c.Row
		for _, d := range [...]mapping.Day{r.EersteDag, r.Ziekmelding, r.VerwachtHerstel, r.Herstel, r.VerloopDatum} {
			b = appendDay(b, d)
		}
		b = binary.AppendVarint(b, int64(r.Percentage))
		vangnet := byte(0)
		if r.Vangnet {
			vangnet = 1
		}
		b = appendBytes(append(b, vangnet), r.Classification)
	}
	st.buf = b
	return st.rf.add(b)
}

// done computes the periods after the last row and the last employment, and returns the history
// absences to keep. The replay finds a row's holder and period through its entry: the maps that
// found the entries are let go, and so are the keys the mapper saw.
func (st *absenceStage) done() []historyAbsence {
	st.idx.compute(st.m.AbsenceHolderProblem)
	st.idx.holderIDs, st.idx.byID = nil, nil
	st.m.AbsencesDone()
	return st.idx.kept
}

// readLogs reads a row's log lines into the check being settled.
func (st *absenceStage) readLogs(rd *rowReader) {
	c := &st.check
	n := rd.uvarint()
	if n > uint64(len(rd.rest())) {
		rd.fail()
		return
	}
	for range n {
		l := runlog.Log{Level: runlog.Level(rd.byte()), Entity: mapping.Absences}
		l.Key, l.Code = string(rd.bytes()), string(rd.bytes())
		args := rd.uvarint()
		if args > uint64(len(rd.rest())) {
			rd.fail()
			return
		}
		for range args {
			l.Args = append(l.Args, string(rd.bytes()))
		}
		c.Logs = append(c.Logs, l)
	}
}

// replay settles every row in the order read and writes the delivered records, completed with
// their periods, and hands them to sink in staging batches, which sink owns from then on.
func (st *absenceStage) replay(ctx context.Context, sink func([]mapping.Record) error) error {
	var batch []mapping.Record
	c := &st.check
	err := st.rf.each(func(b []byte) error {
		rd := rowReader{b: b}
		ref := rd.uvarint()
		clear(c.Logs)
		c.Logs, c.Early, c.Late = c.Logs[:0], false, false
		c.Row = mapping.AbsenceRow{VerzuimID: rd.varint(), VerloopID: rd.varint()}
		if ref == 0 {
			c.Medewerker = string(rd.bytes())
			flags := rd.byte()
			c.Early, c.Late = flags&1 != 0, flags&2 != 0
			st.readLogs(&rd)
			if rd.bad || len(rd.rest()) > 0 {
				return errUnreadable
			}
			problem := ""
			if c.Late { // the holder's Uitval goes before the rule that rejected it
				problem = st.m.AbsenceHolderProblem(c.Medewerker)
			}
			st.m.SettleAbsence(c, problem) // a rejected row: its lines, counted
			return ctx.Err()
		}
		st.readLogs(&rd)
		r := mapping.AbsenceRow{VerzuimID: c.Row.VerzuimID, VerloopID: c.Row.VerloopID,
			EersteDag: rd.day(), Ziekmelding: rd.day(), VerwachtHerstel: rd.day(), Herstel: rd.day(), VerloopDatum: rd.day()}
		r.Percentage = values.Dec(rd.varint())
		r.Vangnet = rd.byte() == 1
		cl := rd.bytes()
		entry := ref - 1
		if rd.bad || len(rd.rest()) > 0 || entry >= uint64(st.idx.entries.n) {
			return errUnreadable
		}
		e := st.idx.entries.at(uint32(entry))
		holder := st.idx.holders.at(e.holder)
		c.Medewerker = holder.medewerker
		if !st.m.SettleAbsence(c, holder.problem) {
			return ctx.Err() // its holder is not delivered
		}
		cls, ok := st.cl[string(cl)]
		if !ok {
			cls = string(cl)
			st.cl[cls] = cls
		}
		r.Classification = cls
		r.Employer, r.Employee = holder.employer, holder.employee
		batch = append(batch, r.Record(&st.text, e.period()))
		if len(batch) >= stageBatch {
			err := sink(batch)
			batch = make([]mapping.Record, 0, stageBatch) // the sink may keep the batch
			return err
		}
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	return sink(batch)
}

func (st *absenceStage) close() { st.rf.close() }
