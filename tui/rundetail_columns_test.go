package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/columns"
	"github.com/koppel-nl/koppel/sync/engine"
)

// The history shows a change's columns as the profile's files name them.
func TestRunDetailNamesConfiguredColumns(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 9, Employees: 12})
	p := f.addProfile("acme")
	p.Delivery.Columns = map[string]columns.Config{"medewerkers": {Rename: map[string]string{"TelefoonWerk": "Telefoon_werk"}, Omit: []string{"SalarisSoort"}}}
	if err := f.st.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	eng := engine.New(f.st)
	if _, err := eng.Run(context.Background(), "acme", f.deps.Engine, nil); err != nil {
		t.Fatal(err)
	}
	nr := ""
	f.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Medewerkers"]
		nr = tb.Rows[2][tb.Col("Medewerker")]
	})
	f.sim.Set("Koppel_Medewerkers", "Medewerker", nr, "Telefoonnr_werk", "030-7654321")
	f.sim.Set("Koppel_Medewerkers", "Medewerker", nr, "BSN", "123456782")
	p.Couplings.Werknemer.Salary.Kind = "svloon"
	if err := f.st.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	res, err := eng.Run(context.Background(), "acme", f.deps.Engine, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := New(context.Background(), f.deps, "")
	d := newRunDetail(a.env, res.Run)
	var lines string
	for _, c := range d.changes {
		if strings.Contains(c.Key, nr) {
			lines = strings.Join(diffLines(a.env, c, 100, d.cols), "\n")
		}
	}
	if !strings.Contains(lines, "Telefoon_werk") || !strings.Contains(lines, "SV-loon (niet geleverd)") || strings.Contains(lines, "TelefoonWerk") {
		t.Errorf("change of %s:\n%s", nr, lines)
	}
	// That the BSN changed is shown, never the number.
	if !strings.Contains(lines, "BSN") || !strings.Contains(lines, "******782") || strings.Contains(lines, "123456782") {
		t.Errorf("BSN change of %s:\n%s", nr, lines)
	}
}
