package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/periods"
	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
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
	got := replayAll(t, st)

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
		pi.note(&r, true, "1")
		list = append(list, periods.Absence{ID: r.VerzuimID, FirstDay: r.EersteDag.Time(), Recovered: r.Herstel.Time()})
	}
	pi.compute(nil)
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

// replayAll is every record the stage's replay hands on, each with a copy of its values.
func replayAll(t *testing.T, st *absenceStage) []mapping.Record {
	t.Helper()
	var got []mapping.Record
	if err := st.replay(context.Background(), func(recs []mapping.Record) error {
		for _, r := range recs {
			got = append(got, mapping.Record{Key: r.Key, Group: r.Group, Values: slices.Clone(r.Values)})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
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

// The absence stage checks each row as it is read, before the employments are mapped, and
// settles it once they are: the same records, the same log lines in the same order and the same
// counts as the rules applied to everything at once. Rows of employees who turn out not to be
// delivered are Uitval, unless a rule before that one rejected them; their history shapes
// nothing.
func TestAbsenceStageChecksBeforeTheEmployments(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	pct := func(s string) values.Value {
		v, err := values.ParseValue(values.Decimal, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cfg := mapping.Config{DefaultEmployer: "ZBV", DateFrom: day("2023-01-01"), Werknemer: true, Verzuim: true}
	in := mapping.Input{Units: []mapping.Unit{{Code: "U", Employer: "ZBV"}}}
	for _, mw := range []string{"1", "2", "3", "4", "5", "6"} {
		in.Employees = append(in.Employees, mapping.Employee{Medewerker: mw, Persoonsnummer: "P" + mw, Geboortenaam: "Bos"})
	}
	in.Employments = []mapping.Employment{
		{Medewerker: "1", Dienstverband: 1, Employer: "ZBV", Begin: day("2010-01-01"), Afdeling: "U"},
		{Medewerker: "2", Dienstverband: 1, Employer: "ZBV", Begin: day("2010-01-01"), Afdeling: "U"},
		{Medewerker: "3", Dienstverband: 1, Employer: "ZBV", Begin: day("2010-01-01"), Afdeling: "U"},
		{Medewerker: "4", Dienstverband: 1, Employer: "ZBV", Begin: day("2010-01-01"), Einde: day("2020-01-01"), Afdeling: "U"}, // ended
		{Medewerker: "6", Dienstverband: 1, Employer: "ZBV", Begin: day("2010-01-01"), Afdeling: "GONE"},                        // Uitval
	}
	abs := func(id, verloop int64, mw, first, herstel, aanwezig string) mapping.Absence {
		a := mapping.Absence{VerzuimID: id, VerloopID: verloop, Medewerker: mw, Employer: "ZBV", EersteDag: day(first),
			TypeOmschrijving: "Ziek", VerloopDatum: day(first)}
		if herstel != "" {
			a.Herstel = day(herstel)
		}
		if aanwezig != "" {
			a.Aanwezig = pct(aanwezig)
		} else {
			a.Aanwezig = values.Value{Kind: values.Decimal, Null: true}
		}
		return a
	}
	bad := abs(12, 1, "2", "2024-02-01", "", "0")
	bad.Errs = []values.FieldError{{Field: "Percentage_aanwezig", Err: errors.New("not a number")}, {Field: "Datum_ziekmelding", Err: errors.New("not a date")}}
	cleaned := abs(17, 1, "3", "2024-03-01", "", "50")
	cleaned.Cleaned, cleaned.Type, cleaned.TypeOmschrijving = []string{"Type_verzuim_omschrijving"}, "QQ", "Iets anders"
	undeliveredCleaned := abs(18, 1, "5", "2024-03-01", "", "0")
	undeliveredCleaned.Cleaned = []string{"Type_verzuim_omschrijving"}
	in.Absences = []mapping.Absence{
		abs(5, 1, "1", "2022-10-01", "2022-11-01", "0"), // history: starts the period of absence 11
		abs(6, 1, "4", "2022-10-01", "2022-11-01", "0"), // history of an employee not delivered
		abs(11, 1, "1", "2022-11-20", "", "0"),
		abs(11, 2, "1", "2022-11-20", "", "50"),
		abs(11, 1, "1", "2022-11-20", "", "0"), // the same key again
		bad,
		abs(13, 1, "4", "2022-11-20", "", "0"), // ended employment; it would continue the period of 6
		abs(14, 1, "4", "2024-02-01", "", ""),  // ended employment before the missing percentage
		abs(15, 1, "1", "2024-02-01", "", ""),  // missing percentage
		abs(16, 1, "2", "2024-02-01", "", "150"),
		cleaned,
		undeliveredCleaned,                     // no employment
		abs(19, 1, "6", "2024-02-01", "", "0"), // its employment is Uitval
		abs(20, 1, "7", "2024-02-01", "", "0"), // no employee at all
	}

	// The stage: the rows checked as they are read, the employments mapped after.
	var logs []runlog.Log
	m := mapping.NewMapper(cfg, func(l runlog.Log) {
		if l.Entity == mapping.Absences {
			logs = append(logs, l)
		}
	})
	m.Units(in.Units)
	for _, e := range in.Employees {
		m.Employee(e)
	}
	st, err := newAbsenceStage(m)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	for _, a := range in.Absences {
		if err := st.row(a); err != nil {
			t.Fatal(err)
		}
	}
	if len(logs) != 0 {
		t.Fatalf("lines logged before the rows were settled: %v", logs)
	}
	for _, d := range in.Employments {
		m.Employment(d)
	}
	m.EmploymentsDone()
	kept := st.done()
	got := replayAll(t, st)

	// The rules at once.
	res := mapping.Map(cfg, in)
	var wantLogs []runlog.Log
	for _, l := range res.Logs {
		if l.Entity == mapping.Absences {
			wantLogs = append(wantLogs, l)
		}
	}
	if !reflect.DeepEqual(logs, wantLogs) || len(wantLogs) < 8 {
		t.Errorf("log lines\n%v\nwant\n%v", logs, wantLogs)
	}
	// A history row is read for the window only: never counted (the rules at once count it).
	if gc, wc := *m.Counts()[mapping.Absences], *res.Counts[mapping.Absences]; gc.Fetched != wc.Fetched-2 || gc.Rejected != wc.Rejected {
		t.Errorf("counts %+v, want %+v", gc, wc)
	}
	want := res.Records[mapping.Absences]
	slices.SortFunc(got, func(a, b mapping.Record) int { return strings.Compare(a.Key, b.Key) })
	if len(got) != len(want) || len(want) != 3 {
		t.Fatalf("%d records, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		n := len(want[i].Values) - mapping.AbsencePeriodCols
		if got[i].Key != want[i].Key || !slices.Equal(got[i].Values[:n], want[i].Values[:n]) {
			t.Errorf("record %d: %v, want %v", i, got[i], want[i])
		}
	}
	// Absence 11 continues the period its holder's history began; the history of an employee
	// who is not delivered is not kept.
	if p := got[0].Values[len(got[0].Values)-mapping.AbsencePeriodCols:]; p[0] != "5" || p[1] != "2022-10-01" {
		t.Errorf("period of absence 11: %v, want it to begin with absence 5 on 2022-10-01", p)
	}
	if len(kept) != 1 || kept[0].id != 5 {
		t.Errorf("history kept: %+v, want absence 5 only", kept)
	}
}
