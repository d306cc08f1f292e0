package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/matching"
	"github.com/koppel-nl/koppel/sync/profile"
)

// The match takes exactly the employees and absences a run delivers: same profile, same
// rules, the delivered keys after the profile's rewrite.
func TestMatchReadsWhatARunDelivers(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 5, Employees: 300}, profile.ModeCompleet)
	p, _ := e.store.Profile("acme")
	p.Rewrite.Employee.Prefix = "A-"
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	res, _ := e.run(engine.Options{PageSize: 40})
	var want, wantAbs []string
	for _, row := range readCSV(t, filepath.Join(res.Run.Delivery, "medewerkers.csv"))[1:] {
		if k := row[0] + "/" + row[1]; !slices.Contains(want, k) {
			want = append(want, k)
		}
	}
	for _, row := range readCSV(t, filepath.Join(res.Run.Delivery, "verzuim.csv"))[1:] {
		if k := row[0] + "/" + row[1] + "/" + row[2]; !slices.Contains(wantAbs, k) {
			wantAbs = append(wantAbs, k)
		}
	}
	ex, err := e.sim.WriteXSExport(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.eng.MatchRead(context.Background(), "acme", engine.MatchFiles{Employees: ex.Employees, Absences: ex.Absences},
		engine.Options{PageSize: 40, RetryBase: time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got, gotAbs []string
	for _, a := range d.Input.AFAS {
		got = append(got, a.WerkgeverCode+"/"+a.Personeelsnummer)
		for _, ab := range a.Absences {
			if k := a.WerkgeverCode + "/" + a.Personeelsnummer + "/" + ab.VerzuimID; !slices.Contains(gotAbs, k) {
				gotAbs = append(gotAbs, k)
			}
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	slices.Sort(wantAbs)
	slices.Sort(gotAbs)
	if !slices.Equal(got, want) || len(got) < 200 {
		t.Errorf("match read %d employees, a run delivers %d:\n%v\n%v", len(got), len(want), got, want)
	}
	if !slices.Equal(gotAbs, wantAbs) || len(gotAbs) < 50 {
		t.Errorf("match read %d absences, a run delivers %d", len(gotAbs), len(wantAbs))
	}
	if d.Input.AFAS[0].BSN == "" {
		t.Errorf("the match has no BSN to match on")
	}

	// Delivered like a delivery: published, nothing pending, nothing hidden left behind.
	res2, keep, err := d.Match(nil, true)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.eng.MatchDeliver(context.Background(), d, res2, keep, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out.Folder, "koppeltabel.csv")); err != nil {
		t.Errorf("no link table: %v", err)
	}
	if pend, _ := e.store.PendingOf("acme"); pend != nil {
		t.Errorf("the rename is still pending: %+v", pend)
	}
	entries, _ := os.ReadDir(filepath.Dir(out.Folder))
	for _, en := range entries {
		if strings.HasPrefix(en.Name(), ".") {
			t.Errorf("hidden leftover %s", en.Name())
		}
	}
	if last, _ := e.store.LastDelivery("acme"); last == nil || last.ID != res.Run.ID {
		t.Errorf("the match took the place of the last delivery: %+v", last)
	}
}

func TestMatchOfUnknownOrUnusableInput(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 5, Employees: 20}, profile.ModeCompleet)
	ex, _ := e.sim.WriteXSExport(t.TempDir())
	var ue *engine.UsageError
	if _, err := e.eng.MatchRead(context.Background(), "nobody", engine.MatchFiles{Employees: ex.Employees}, engine.Options{}, nil); !errors.As(err, &ue) {
		t.Errorf("unknown profile: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("Personeelsnummer;BSN\n1;2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var xe *engine.ExportError
	if _, err := e.eng.MatchRead(context.Background(), "acme", engine.MatchFiles{Employees: bad}, engine.Options{}, nil); !errors.As(err, &xe) || xe.Missing == nil {
		t.Errorf("an export without key columns: %v", err)
	}
	p, _ := e.store.Profile("acme")
	p.Couplings.Verzuim.Enabled = false
	_ = e.store.PutProfile(p)
	if _, err := e.eng.MatchRead(context.Background(), "acme", engine.MatchFiles{Employees: ex.Employees, Absences: ex.Absences}, engine.Options{}, nil); !errors.As(err, &ue) {
		t.Errorf("absences without the verzuim coupling: %v", err)
	}
	if runs, _ := e.store.Runs("acme"); len(runs) != 0 {
		t.Errorf("bad input recorded %d runs", len(runs))
	}
	if st, _ := e.store.MatchStatusOf("acme"); st != nil {
		t.Errorf("bad input left a status")
	}
	// A match that cannot read AFAS is on record, failed, and leaves no status.
	p.Account.Token = strings.Repeat("0", 64)
	_ = e.store.PutProfile(p)
	if _, err := e.eng.MatchRead(context.Background(), "acme", engine.MatchFiles{Employees: ex.Employees}, engine.Options{RetryBase: time.Millisecond}, nil); err == nil {
		t.Fatal("a refused token read AFAS")
	}
	runs, _ := e.store.Runs("acme")
	if len(runs) != 1 || runs[0].Kind != "match" || runs[0].Status != engine.StatusFailed || runs[0].ErrorCode == "" {
		t.Errorf("the failed match is not on record: %+v", runs)
	}
	if st, _ := e.store.MatchStatusOf("acme"); st != nil {
		t.Errorf("a failed match left a status")
	}
}

// The decisions to keep: the stored ones with the newer ones over them, without those whose
// records are gone.
func TestMatchKeepsDecisionsWhileBothRecordsExist(t *testing.T) {
	k := func(w, p string) matching.Key { return matching.Key{WerkgeverCode: w, Personeelsnummer: p} }
	d := &engine.MatchData{
		Input: matching.Input{
			AFAS: []matching.Employee{{WerkgeverCode: "A", Personeelsnummer: "1"}, {WerkgeverCode: "A", Personeelsnummer: "2"}},
			XS:   []matching.XSEmployee{{WerkgeverCode: "A", Personeelsnummer: "x1"}, {WerkgeverCode: "A", Personeelsnummer: "x2"}},
		},
		Stored: []matching.Decision{
			{XS: k("A", "x1"), AFAS: k("A", "1")},
			{XS: k("A", "x2"), AFAS: k("A", "2")},
			{XS: k("A", "gone"), AFAS: k("A", "1")},  // the XS record left the export
			{XS: k("A", "x2"), AFAS: k("A", "gone")}, // replaced below anyway
		},
	}
	d.Stored = d.Stored[:3]
	newer := []matching.Decision{{XS: k("A", "x2")}} // x2 now stays unmatched
	res, keep, err := d.Match(newer, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []matching.Decision{{XS: k("A", "x1"), AFAS: k("A", "1")}, {XS: k("A", "x2")}}
	if !slices.Equal(keep, want) {
		t.Errorf("kept %v, want %v", keep, want)
	}
	if res.Summary.Medewerkers.PerMethode[matching.Besluit] != 1 || res.Summary.Medewerkers.AlleenAFAS != 1 {
		t.Errorf("summary %+v", res.Summary.Medewerkers)
	}
}
