package engine_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/profile"
)

// datedEmployee gives one employee of the simulator a single employment from 2027-03-01 to
// 2027-12-31 and two absences: one from 2026-10-01 recovered as of 2027-02-15, one from
// 2027-01-10 still open (expected back 2027-02-01). It returns the employee number.
func datedEmployee(t *testing.T, sim *afassim.Server) string {
	t.Helper()
	var nr string
	sim.Update(func(d *afassim.Dataset) {
		dv := d.Tables["Koppel_Dienstverbanden"]
		row := slices.Clone(dv.Rows[0])
		nr = row[dv.Col("Medewerker")]
		employer := row[dv.Col("Werkgever_code")]
		dv.Rows = slices.DeleteFunc(dv.Rows, func(r []string) bool { return r[dv.Col("Medewerker")] == nr })
		row[dv.Col("Begindatum_contract")] = "2027-03-01T00:00:00"
		row[dv.Col("Einddatum_contract")] = "2027-12-31T00:00:00"
		dv.Rows = append(dv.Rows, row)

		vz := d.Tables["Koppel_Verzuim"]
		tmpl := slices.Clone(vz.Rows[0])
		vz.Rows = slices.DeleteFunc(vz.Rows, func(r []string) bool { return r[vz.Col("Medewerker")] == nr })
		add := func(id, verloop, first, expected, recovered string) {
			r := slices.Clone(tmpl)
			for f, v := range map[string]string{"Verzuim_id": id, "Verloop_id": verloop, "Medewerker": nr, "Werkgever_code": employer,
				"Eerste_verzuimdag": first, "Datum_ziekmelding": first, "Verloop_datum": first, "Verwachte_hersteldatum": expected,
				"Datum_hersteld": recovered, "Percentage_aanwezig": "0"} {
				r[vz.Col(f)] = v
			}
			vz.Rows = append(vz.Rows, r)
		}
		add("990001", "990001", "2026-10-01T00:00:00", "", "2027-02-15T00:00:00")
		add("990002", "990002", "2027-01-10T00:00:00", "2027-02-01T00:00:00", "")
	})
	return nr
}

// decided renders an explanation's decisions in English, one a line.
func decided(x *engine.Explanation) string {
	var b strings.Builder
	for _, d := range x.Decisions {
		b.WriteString(d.Level.String() + " " + d.Entity + " " + d.Key + ": " + i18n.EN.T(d.Code, d.Args...) + "\n")
	}
	return b.String()
}

func TestExplainAsOnADay(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 5, Employees: 30}, profile.ModeCompleet)
	nr := datedEmployee(t, e.sim)
	explain := func(day string) *engine.Explanation {
		t.Helper()
		opts := engine.Options{RetryBase: time.Millisecond, Now: func() time.Time { return time.Date(2026, 12, 1, 15, 0, 0, 0, time.Local) }}
		if day != "" {
			d, _ := time.Parse("2006-01-02", day)
			opts.Day = d
		}
		x, err := e.eng.Explain(context.Background(), "acme", nr, opts)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	contains := func(x *engine.Explanation, want ...string) {
		t.Helper()
		text := decided(x)
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("as on %s, the decisions lack %q:\n%s", x.Day, w, text)
			}
		}
	}
	lacks := func(x *engine.Explanation, not ...string) {
		t.Helper()
		text := decided(x)
		for _, w := range not {
			if strings.Contains(text, w) {
				t.Errorf("as on %s, the decisions say %q:\n%s", x.Day, w, text)
			}
		}
	}

	today := explain("")
	if today.Day != "2026-12-01" {
		t.Errorf("today is %s, want the clock's day 2026-12-01", today.Day)
	}
	before := explain("2027-02-01")
	contains(before, "not yet employed on 2027-02-01: starts 2027-03-01",
		"still absent on 2027-02-01: recovered as of 2027-02-15",
		"absent on 2027-02-01 since 2027-01-10; the expected recovery date 2027-02-01 has passed by then",
		"next Gatekeeper milestone week")
	lacks(before, "employed on 2027-02-01, since")
	during := explain("2027-03-01")
	contains(during, "employed on 2027-03-01, since 2027-03-01, until 2027-12-31",
		"recovered by 2027-03-01: recovered as of 2027-02-15")
	lacks(during, "not yet employed")
	// The boundaries: DatumHersteld is the first day well; the end date the last day employed.
	contains(explain("2027-02-15"), "recovered by 2027-02-15: recovered as of 2027-02-15")
	contains(explain("2027-12-31"), "employed on 2027-12-31, since 2027-03-01, until 2027-12-31")
	after := explain("2028-01-01")
	contains(after, "no longer employed on 2028-01-01: end date 2027-12-31")
	lacks(after, "employed on 2028-01-01, since")
	// One composite period: the second absence (2027-01-10) starts while the first is still on.
	contains(today, "composite period 990001: began 2026-10-01, 2 absence(s)")

	// The day changes the notes, never the lines: the rules have no clock.
	for _, x := range []*engine.Explanation{before, during, after} {
		if !equalFiles(x.Files, today.Files) {
			t.Errorf("as on %s the lines differ from today's:\n%v\n%v", x.Day, x.Files, today.Files)
		}
	}
	var lines int
	for _, f := range today.Files {
		lines += len(f.Lines)
	}
	if lines != 4 { // the employment, the manager account and the two absences
		t.Errorf("%d lines, want 4: %v", lines, today.Files)
	}
}

// Every employee's explanation says whether they qualify for a manager account, and the account
// it names is the one in gebruikers.csv.
func TestExplainSaysWhyAnAccount(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 5, Employees: 30}, profile.ModeCompleet)
	var with, without int
	for i := 100001; i <= 100030; i++ {
		nr := strconv.Itoa(i)
		x, err := e.eng.Explain(context.Background(), "acme", nr, engine.Options{RetryBase: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		text := decided(x)
		var account []string
		for _, f := range x.Files {
			if f.File == "gebruikers.csv" && len(f.Lines) > 0 {
				account = f.Lines[0]
			}
		}
		switch {
		case account != nil:
			with++
			if !strings.Contains(text, "users "+account[1]+": manager account: manager of ") || !strings.Contains(text, "with everything below: "+account[11]) {
				t.Errorf("%s has account %v, the decisions say:\n%s", nr, account, text)
			}
		case strings.Contains(text, "no manager account: "+nr+" is the manager of no department"):
			without++
		case !strings.Contains(text, "but no account") && !strings.Contains(text, "Uitval"):
			t.Errorf("%s: no account and no reason:\n%s", nr, text)
		}
	}
	if with == 0 || without == 0 {
		t.Errorf("%d with an account, %d without: the data tests neither", with, without)
	}
}

func equalFiles(a, b []engine.FileLines) bool {
	return slices.EqualFunc(a, b, func(x, y engine.FileLines) bool {
		return x.File == y.File && slices.Equal(x.Header, y.Header) && slices.EqualFunc(x.Lines, y.Lines, slices.Equal)
	})
}

func TestExplainUnknownEmployeeHints(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 5, Employees: 30}, profile.ModeCompleet)
	var nr, surname, first string
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Medewerkers"]
		r := tb.Rows[4]
		nr, surname, first = r[tb.Col("Medewerker")], r[tb.Col("Geboortenaam")], r[tb.Col("Roepnaam")]
	})
	opts := engine.Options{RetryBase: time.Millisecond}
	_, err := e.eng.Explain(context.Background(), "acme", strings.ToLower(surname[:len(surname)-1]), opts)
	var ue *engine.UnknownEmployeeError
	if !errors.As(err, &ue) || !ue.ByName {
		t.Fatalf("part of a name: %v, want matches by name", err)
	}
	if !slices.ContainsFunc(ue.Matches, func(m engine.EmployeeMatch) bool { return m.Medewerker == nr && strings.Contains(m.Name, surname) }) {
		t.Errorf("searching %q does not find %s %s: %+v", surname, nr, surname, ue.Matches)
	}
	var use *engine.UsageError
	if !errors.As(err, &use) || !strings.Contains(use.Text(i18n.EN), "in their name: ") || !strings.Contains(use.Text(i18n.EN), nr) {
		t.Errorf("the usage error: %v", err)
	}
	// Every word must be in the name.
	_, err = e.eng.Explain(context.Background(), "acme", first+" "+surname, opts)
	if !errors.As(err, &ue) || !ue.ByName || !slices.ContainsFunc(ue.Matches, func(m engine.EmployeeMatch) bool { return m.Medewerker == nr }) {
		t.Errorf("first and last name: %v", err)
	}
	_, err = e.eng.Explain(context.Background(), "acme", first+" Zzyzxq", opts)
	if !errors.As(err, &ue) || ue.ByName || len(ue.Matches) != 0 {
		t.Errorf("a name nobody has: %v", err)
	}
	// A number: the closest numbers.
	_, err = e.eng.Explain(context.Background(), "acme", "100045", opts)
	if !errors.As(err, &ue) || ue.ByName || len(ue.Matches) == 0 || ue.Matches[0].Medewerker != "100030" {
		t.Errorf("a number past the last: %+v, want 100030 first", err)
	}
	for _, m := range ue.Matches {
		if strings.ContainsAny(m.Name, "0123456789") {
			t.Errorf("a hint shows digits (a BSN?): %+v", m)
		}
	}
}

func TestExplainRefusesADraft(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 5, Employees: 5}, profile.ModeCompleet)
	p, err := e.store.Profile("acme")
	if err != nil {
		t.Fatal(err)
	}
	p.Draft = true
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	_, err = e.eng.Explain(context.Background(), "acme", "100001", engine.Options{RetryBase: time.Millisecond})
	var ue *engine.UsageError
	if !errors.As(err, &ue) || ue.Code != "run.draft" {
		t.Errorf("a draft explained: %v", err)
	}
}
