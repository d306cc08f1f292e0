package verify_test

import (
	"context"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/verify"
)

func TestDossierTypesAreCountedWithoutDownloading(t *testing.T) {
	sim, p := setup(t, afassim.Options{Seed: 1, Employees: 60, Documents: true})
	types, err := verify.DossierTypes(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	var rows int
	sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables[afassim.DossierConnector]
		rows = len(tb.Rows)
		for _, row := range tb.Rows {
			want[row[tb.Col("Type_dossieritem")]]++
		}
	})
	total := 0
	for i, tc := range types {
		if tc.Count != want[tc.Code] || tc.Description == "" || i > 0 && types[i-1].Code >= tc.Code {
			t.Errorf("type %+v, want %d rows, a description, sorted on code", tc, want[tc.Code])
		}
		total += tc.Count
	}
	if len(types) != len(afassim.DossierTypes) || total != rows {
		t.Errorf("%d types with %d rows, want %d with %d", len(types), total, len(afassim.DossierTypes), rows)
	}
	if n := sim.AttachmentCalls(); n != 0 {
		t.Errorf("%d attachments downloaded to count types", n)
	}
}

func TestVerifyChecksTheDossierConnector(t *testing.T) {
	_, p := setup(t, afassim.Options{Seed: 1, Employees: 20, Documents: true, Extra: []string{"Koppel_Dossieritems.Onderwerp"}})
	p.Couplings.Documenten = profile.Documenten{Enabled: true, Types: []string{"PVA"}}
	rep, err := verify.Profile(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := rep.Connector("dossieritems")
	if !ok || c.Status != verify.Extra || len(c.ExtraFields) != 1 || c.ExtraFields[0] != "Onderwerp" || rep.OK() {
		t.Errorf("dossier connector %+v; want the free-text field named as beyond the whitelist", c)
	}
	_, p2 := setup(t, afassim.Options{Seed: 1, Employees: 20})
	p2.Couplings.Documenten = profile.Documenten{Enabled: true, Types: []string{"PVA"}}
	rep2, _ := verify.Profile(context.Background(), p2)
	if c, _ := rep2.Connector("dossieritems"); c.Status != verify.Missing {
		t.Errorf("without the connector: %+v, want missing", c)
	}
}
