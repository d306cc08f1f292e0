package engine

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/periods"
)

// periodIndex gathers, per holder, the absences the composite-period rules need — one entry per
// VerzuimId, with the dates of its progress row with the lowest VerloopId — while the absence
// rows stream past. It holds a few dates per absence, never the rows.
type periodIndex struct {
	holders map[string]map[int64]*periodAbsence
	kept    []historyAbsence // after compute: the history absences the poortwachter view needs
}

type periodAbsence struct {
	verloop   int64
	first     time.Time
	recovered time.Time
	delivered bool // at least one of its rows is delivered (not read only for the history)
}

func newPeriodIndex() *periodIndex {
	return &periodIndex{holders: map[string]map[int64]*periodAbsence{}}
}

func (pi *periodIndex) add(a mapping.AbsenceInfo) {
	abs := pi.holders[a.Holder]
	if abs == nil {
		abs = map[int64]*periodAbsence{}
		pi.holders[a.Holder] = abs
	}
	if cur := abs[a.VerzuimID]; cur == nil || a.VerloopID < cur.verloop {
		delivered := cur != nil && cur.delivered
		abs[a.VerzuimID] = &periodAbsence{verloop: a.VerloopID, first: a.FirstDay, recovered: a.Recovered, delivered: delivered}
	}
	abs[a.VerzuimID].delivered = true
}

// addHistory notes a row read only for the history window: it shapes periods, never a file.
func (pi *periodIndex) addHistory(a mapping.AbsenceInfo) {
	delivered := pi.holders[a.Holder][a.VerzuimID] != nil && pi.holders[a.Holder][a.VerzuimID].delivered
	pi.add(a)
	pi.holders[a.Holder][a.VerzuimID].delivered = delivered
}

// periodCols are the three columns of each absence: ZiekteperiodeId, EersteDagZiekteperiode,
// EindeWachttijd, per holder and VerzuimId.
type periodCols map[string]map[int64][3]string

// compute applies the composite-period rules to every holder.
func (pi *periodIndex) compute() periodCols {
	out := periodCols{}
	for holder, abs := range pi.holders {
		list := make([]periods.Absence, 0, len(abs))
		for id, a := range abs {
			list = append(list, periods.Absence{ID: id, FirstDay: a.first, Recovered: a.recovered})
		}
		ps, byAbsence := periods.Compute(list)
		pi.kept = append(pi.kept, keptHistory(holder, ps, abs)...)
		cols := make(map[int64][3]string, len(byAbsence))
		for id, p := range byAbsence {
			cols[id] = [3]string{strconv.FormatInt(p.ID, 10), day(p.FirstDay), day(p.EndOfWaiting)}
		}
		out[holder] = cols
	}
	pi.holders = nil
	return out
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// fill writes the period columns of an absence record.
func (pc periodCols) fill(rec *mapping.Record, info mapping.AbsenceInfo) {
	cols, ok := pc[info.Holder][info.VerzuimID]
	if !ok {
		return
	}
	n := len(rec.Values)
	copy(rec.Values[n-mapping.AbsencePeriodCols:], cols[:])
}

// spill holds a run's mapped absence records on disk until their periods are known: the period
// of an absence can depend on any other absence of its holder, in any order AFAS sends them.
// The file lives in the system's temporary folder, mode 0600, and is removed when the run ends.
type spill struct {
	f *os.File
	w *bufio.Writer
	n int
}

func newSpill() (*spill, error) {
	f, err := os.CreateTemp("", "koppel-absences-*")
	if err != nil {
		return nil, fmt.Errorf("temporary file for absences: %w", err)
	}
	return &spill{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// add writes a record with the period key it needs.
func (s *spill) add(rec mapping.Record, info mapping.AbsenceInfo) error {
	fields := append([]string{rec.Key, rec.Group, info.Holder, strconv.FormatInt(info.VerzuimID, 10)}, rec.Values...)
	b := store.EncodeValues(fields)
	var n [binary.MaxVarintLen64]byte
	if _, err := s.w.Write(n[:binary.PutUvarint(n[:], uint64(len(b)))]); err != nil {
		return err
	}
	_, err := s.w.Write(b)
	s.n++
	return err
}

// each reads the records back, in the order written.
func (s *spill) each(fn func(rec mapping.Record, info mapping.AbsenceInfo) error) error {
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
			return fmt.Errorf("temporary absences: %w", err)
		}
		b := make([]byte, size)
		if _, err := io.ReadFull(r, b); err != nil {
			return fmt.Errorf("temporary absences: %w", err)
		}
		fields, err := store.DecodeValues(b)
		if err != nil || len(fields) < 4 {
			return errors.New("temporary absences: unreadable record")
		}
		id, _ := strconv.ParseInt(fields[3], 10, 64)
		if err := fn(mapping.Record{Key: fields[0], Group: fields[1], Values: fields[4:]}, mapping.AbsenceInfo{Holder: fields[2], VerzuimID: id}); err != nil {
			return err
		}
	}
	return nil
}

// replay reads the held records back in order, completes each with fill and hands them to d
// in staging batches.
func (s *spill) replay(ctx context.Context, sink func([]mapping.Record) error, fill func(*mapping.Record, mapping.AbsenceInfo)) error {
	var batch []mapping.Record
	err := s.each(func(rec mapping.Record, info mapping.AbsenceInfo) error {
		fill(&rec, info)
		batch = append(batch, rec)
		if len(batch) >= stageBatch {
			err := sink(batch)
			batch = batch[:0]
			return err
		}
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	return sink(batch)
}

func (s *spill) close() {
	s.f.Close()
	os.Remove(s.f.Name())
}

// absenceStage is the absence stage of a run: a first pass maps every row, notes what the
// composite periods need and keeps the delivered records on disk; once the last row is read the
// periods are computed, and a second pass completes the records and hands them on.
type absenceStage struct {
	m    *mapping.Mapper
	idx  *periodIndex
	sp   *spill
	cols periodCols
}

func newAbsenceStage(m *mapping.Mapper) (*absenceStage, error) {
	sp, err := newSpill()
	if err != nil {
		return nil, err
	}
	return &absenceStage{m: m, idx: newPeriodIndex(), sp: sp}, nil
}

// row takes one Koppel_Verzuim row (after EmploymentsDone).
func (st *absenceStage) row(a mapping.Absence) error {
	if st.m.IsHistory(a) {
		if info, ok := st.m.History(a); ok {
			st.idx.addHistory(info)
		}
		return nil
	}
	rec, ok := st.m.Absence(a)
	if !ok {
		return nil
	}
	info := st.m.Info(a)
	st.idx.add(info)
	return st.sp.add(rec, info)
}

// done computes the periods after the last row and returns the history absences to keep.
func (st *absenceStage) done() []historyAbsence {
	st.cols = st.idx.compute()
	return st.idx.kept
}

// replay hands the delivered records, completed with their periods, to sink in staging batches.
func (st *absenceStage) replay(ctx context.Context, sink func([]mapping.Record) error) error {
	return st.sp.replay(ctx, sink, st.cols.fill)
}

func (st *absenceStage) close() { st.sp.close() }
