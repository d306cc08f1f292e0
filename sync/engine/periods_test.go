package engine

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/periods"
)

// The absence stage delivers what the rules give when every record is held in memory: the same
// records, in the order read, each with the period its holder's absences make, and the same
// history absences kept.
func TestAbsenceStageEqualsTheRulesInMemory(t *testing.T) {
	// The later progress rows of an absence say other dates: the period takes the first row's.
	vary := func(rows []mapping.Absence) []mapping.Absence {
		for i := range rows {
			if i > 0 && rows[i].VerzuimID == rows[i-1].VerzuimID {
				rows[i].EersteDag = rows[i].EersteDag.AddDate(0, 0, 3)
				if !rows[i].Herstel.IsZero() {
					rows[i].Herstel = rows[i].Herstel.AddDate(0, 0, 40)
				}
			}
		}
		// The rows in another order than AFAS's.
		slices.Reverse(rows)
		return rows
	}
	m, rows := benchAbsences(3000)
	rows = vary(rows)
	st, err := newAbsenceStage(m)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	for _, a := range rows {
		if err := st.row(a); err != nil {
			t.Fatal(err)
		}
	}
	kept := st.done()
	var got []mapping.Record
	if err := st.replay(context.Background(), func(recs []mapping.Record) error {
		for _, r := range recs {
			got = append(got, mapping.Record{Key: r.Key, Group: r.Group, Values: slices.Clone(r.Values)})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// The same rules, everything in memory.
	ref, rows := benchAbsences(3000)
	rows = vary(rows)
	type first struct {
		verloop          int64
		info             mapping.AbsenceInfo
		delivered, known bool
	}
	byHolder := map[string]map[int64]*first{}
	note := func(info mapping.AbsenceInfo, delivered bool) {
		abs := byHolder[info.Holder]
		if abs == nil {
			abs = map[int64]*first{}
			byHolder[info.Holder] = abs
		}
		f := abs[info.VerzuimID]
		if f == nil {
			f = &first{verloop: info.VerloopID, info: info}
			abs[info.VerzuimID] = f
		}
		if info.VerloopID < f.verloop {
			f.verloop, f.info = info.VerloopID, info
		}
		f.delivered = f.delivered || delivered
	}
	var want []mapping.Record
	var infos []mapping.AbsenceInfo
	for _, a := range rows {
		if ref.IsHistory(a) {
			if info, ok := ref.History(a); ok {
				note(info, false)
			}
			continue
		}
		if rec, ok := ref.Absence(a); ok {
			info := ref.Info(a)
			note(info, true)
			want, infos = append(want, rec), append(infos, info)
		}
	}
	cols := map[string]map[int64][3]string{}
	wantKept := map[string]bool{}
	for holder, abs := range byHolder {
		var list []periods.Absence
		for id, f := range abs {
			list = append(list, periods.Absence{ID: id, FirstDay: f.info.FirstDay, Recovered: f.info.Recovered})
		}
		ps, byAbsence := periods.Compute(list)
		cols[holder] = map[int64][3]string{}
		for id, p := range byAbsence {
			cols[holder][id] = [3]string{strconv.FormatInt(p.ID, 10), day(p.FirstDay), day(p.EndOfWaiting)}
		}
		for _, p := range ps {
			if !slices.ContainsFunc(p.Absences, func(id int64) bool { return abs[id].delivered }) {
				continue
			}
			for _, id := range p.Absences {
				if f := abs[id]; !f.delivered {
					wantKept[holder+"|"+strconv.FormatInt(id, 10)+"|"+day(f.info.FirstDay)+"|"+day(f.info.Recovered)] = true
				}
			}
		}
	}
	for i := range want {
		c := cols[infos[i].Holder][infos[i].VerzuimID]
		copy(want[i].Values[len(want[i].Values)-3:], c[:])
	}
	if len(got) != len(want) || len(want) < 1000 {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("record %d: %v, want %v", i, got[i], want[i])
		}
	}
	gotKept := map[string]bool{}
	for _, h := range kept {
		v := h.values()
		gotKept[v[0]+mapping.KeySep+v[1]+"|"+v[2]+"|"+v[3]+"|"+v[4]] = true
		if h.key() != v[0]+mapping.KeySep+v[1]+mapping.KeySep+fmt.Sprintf("#%019d", h.id) {
			t.Errorf("history key %q", h.key())
		}
	}
	if len(wantKept) == 0 || !reflect.DeepEqual(gotKept, wantKept) {
		t.Errorf("kept %d history absences %v, want %d %v", len(gotKept), gotKept, len(wantKept), wantKept)
	}
}

// compute finds a period's entries where its own sort put them, and by VerzuimId where the rules
// order them otherwise: no first day sorts before every date here, and with 0001-01-01 there.
func TestPeriodIndexFindsEntriesOutOfItsOrder(t *testing.T) {
	pi := newPeriodIndex()
	rows := []mapping.AbsenceRow{
		{Employer: "W", Employee: "1", VerzuimID: 9, VerloopID: 1},
		{Employer: "W", Employee: "1", VerzuimID: 3, VerloopID: 1, EersteDag: mapping.Day{Y: 1, M: 1, D: 1}, Herstel: mapping.Day{Y: 1, M: 1, D: 2}},
		{Employer: "W", Employee: "1", VerzuimID: 4, VerloopID: 1, EersteDag: mapping.Day{Y: 2024, M: 5, D: 1}},
	}
	var list []periods.Absence
	for _, r := range rows {
		pi.note(&r, true)
		list = append(list, periods.Absence{ID: r.VerzuimID, FirstDay: r.EersteDag.Time(), Recovered: r.Herstel.Time()})
	}
	pi.compute()
	_, byAbsence := periods.Compute(list)
	for i := range pi.entries.n {
		e := pi.entries.at(uint32(i))
		p := byAbsence[e.id]
		want := [3]string{strconv.FormatInt(p.ID, 10), string(mapping.DayOf(p.FirstDay).Append(nil)), string(mapping.DayOf(p.EndOfWaiting).Append(nil))}
		if got := e.period(); got != want {
			t.Errorf("absence %d: period %q, want %q", e.id, got, want)
		}
	}
}

// Held records read back as written, whatever their values; a damaged file is an error.
func TestHeldRecordsReadBackAsWritten(t *testing.T) {
	h, err := newHeldRecords()
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	long := string(make([]byte, 70_000)) // longer than the read buffer
	in := []mapping.Record{
		{Key: "a" + mapping.KeySep + "1", Group: "1", Values: []string{"x", "", "ü€", long}},
		{Key: "", Group: "", Values: nil},
		{Key: "b", Group: "g", Values: []string{""}},
	}
	for i := 0; i < 2*stageBatch+3; i++ {
		in = append(in, mapping.Record{Key: "k" + strconv.Itoa(i), Group: "g" + strconv.Itoa(i%7), Values: []string{strconv.Itoa(i), "v"}})
	}
	for _, rec := range in {
		if err := h.add(rec); err != nil {
			t.Fatal(err)
		}
	}
	var out []mapping.Record
	batches := 0
	err = h.replay(context.Background(), func(recs []mapping.Record) error {
		batches++
		out = append(out, recs...)
		return nil
	}, func(rec *mapping.Record) { rec.Group += "!" })
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) || batches != 3 {
		t.Fatalf("%d records in %d batches, want %d in 3", len(out), batches, len(in))
	}
	for i := range in {
		want := in[i]
		want.Group += "!"
		if want.Key != out[i].Key || want.Group != out[i].Group || !slices.Equal(want.Values, out[i].Values) || len(out[i].Values) != len(want.Values) {
			t.Fatalf("record %d: %+v, want %+v", i, out[i], want)
		}
	}

	// Damage: cut the file short, or write a row that is not a record.
	for name, damage := range map[string]func(rf *rowFile) error{
		"short": func(rf *rowFile) error { return rf.f.Truncate(5) },
		"not a record": func(rf *rowFile) error {
			_, err := rf.f.WriteAt([]byte{3, 0xff, 0xff, 0xff}, 0)
			return err
		},
	} {
		h, err := newHeldRecords()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range in[:3] {
			h.add(rec)
		}
		h.rf.w.Flush()
		if err := damage(h.rf); err != nil {
			t.Fatal(err)
		}
		if err := h.replay(context.Background(), func([]mapping.Record) error { return nil }, func(*mapping.Record) {}); err == nil {
			t.Errorf("%s: read back without an error", name)
		}
		name := h.rf.f.Name()
		h.close()
		if _, err := os.Stat(name); !os.IsNotExist(err) {
			t.Errorf("temporary file %s left: %v", name, err)
		}
	}
}
