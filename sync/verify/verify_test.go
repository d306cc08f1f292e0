package verify_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/afassim/afassimtest"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/verify"
)

func setup(t *testing.T, o afassim.Options) (*afassim.Server, *profile.Profile) {
	t.Helper()
	sim, url := afassimtest.Start(t, o)
	p := &profile.Profile{Name: "acme", Account: profile.Account{Name: "A", Participant: "12345", Environment: "test", URL: url, Token: sim.Token()},
		Employer: "ZBV", DateFrom: "2024-01-01",
		Couplings: profile.Couplings{Werknemer: profile.Werknemer{Enabled: true, Salary: &profile.Salary{Column: afassim.SalaryColumn, Kind: "svloon"}}, Verzuim: profile.Verzuim{Enabled: true}}}
	p.Defaults()
	return sim, p
}

func TestEverythingInOrder(t *testing.T) {
	_, p := setup(t, afassim.Options{Seed: 1, Employees: 20})
	rep, err := verify.Profile(context.Background(), p)
	if err != nil || !rep.OK() || len(rep.Connectors) != 4 {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestProblemsAreNamed(t *testing.T) {
	_, p := setup(t, afassim.Options{Seed: 1, Employees: 20, Omit: []string{"Koppel_Verzuim"}, Unauthorized: []string{"Koppel_Organisatie"},
		Drop: []string{"Koppel_Medewerkers.BSN"}, Extra: []string{"Koppel_Dienstverbanden.Opmerking"}})
	rep, err := verify.Profile(context.Background(), p)
	if err != nil || rep.OK() {
		t.Fatalf("%+v %v", rep, err)
	}
	want := map[string]string{connectors.Verzuim: verify.Missing, connectors.Organisatie: verify.NotAuthorized, connectors.Medewerkers: verify.Incomplete, connectors.Dienstverbanden: verify.Extra}
	for role, status := range want {
		c, _ := rep.Connector(role)
		if c.Status != status {
			t.Errorf("%s: %s, want %s", role, c.Status, status)
		}
	}
	if c, _ := rep.Connector(connectors.Medewerkers); strings.Join(c.MissingFields, ",") != "BSN" {
		t.Errorf("missing fields %v", c.MissingFields)
	}
	if c, _ := rep.Connector(connectors.Dienstverbanden); strings.Join(c.ExtraFields, ",") != "Opmerking" {
		t.Errorf("extra fields %v (the mapped salary column is allowed)", c.ExtraFields)
	}
}

func TestRefusedTokenStopsTheCheck(t *testing.T) {
	sim, p := setup(t, afassim.Options{Seed: 1, Employees: 5})
	p.Account.Token = strings.Repeat("a", 64)
	rep, err := verify.Profile(context.Background(), p)
	if err != nil || rep.TokenOK || !strings.Contains(rep.TokenMessage, "token") {
		t.Fatalf("%+v %v", rep, err)
	}
	if sim.Requests() != 1 {
		t.Errorf("%d requests after the token was refused", sim.Requests())
	}
}

func TestExcludedAndPreview(t *testing.T) {
	_, p := setup(t, afassim.Options{Seed: 1, Employees: 200})
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	emp, abs, err := verify.Excluded(context.Background(), p, day)
	if err != nil || emp == 0 || abs < 0 {
		t.Errorf("excluded %d %d %v", emp, abs, err)
	}
	later, _, _ := verify.Excluded(context.Background(), p, day.AddDate(2, 0, 0))
	if later < emp {
		t.Errorf("a later date leaves out fewer employments: %d < %d", later, emp)
	}
	vals, err := verify.SalaryPreview(context.Background(), p, afassim.SalaryColumn, 5)
	if err != nil || len(vals) != 5 || !strings.Contains(vals[0], ": ") {
		t.Errorf("preview %v %v", vals, err)
	}
}

func TestRenamedFieldsVerify(t *testing.T) {
	_, p := setup(t, afassim.Options{Seed: 1, Employees: 10, Rename: []string{"Koppel_Medewerkers.Email_werk=Email", "Koppel_Verzuim=HR_Verzuim"}})
	rep, _ := verify.Profile(context.Background(), p)
	if c, _ := rep.Connector(connectors.Medewerkers); c.Status != verify.Incomplete || strings.Join(c.ExtraFields, ",") != "Email" || strings.Join(c.MissingFields, ",") != "Email_werk" {
		t.Errorf("without the rename: %+v", c)
	}
	p.Connectors.IDs = map[string]string{"verzuim": "HR_Verzuim"}
	p.Connectors.Fields = map[string]map[string]string{"medewerkers": {"Email_werk": "Email"}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	rep, err := verify.Profile(context.Background(), p)
	if err != nil || !rep.OK() {
		t.Errorf("with the renames: %+v %v", rep, err)
	}
	p.Connectors.Fields = map[string]map[string]string{"medewerkers": {"Emailadres": "Email"}, "flex": {"A": "B"}}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "connectors.fields.medewerkers.Emailadres") || !strings.Contains(err.Error(), "connectors.fields.flex") {
		t.Errorf("bad renames: %v", err)
	}
}

func TestUnreachableAFASIsNotATokenVerdict(t *testing.T) {
	_, p := setup(t, afassim.Options{Seed: 1, Employees: 5})
	p.Account.URL = strings.Replace(p.Account.URL, "AppConnectorGet.asmx", "Elders.asmx", 1)
	rep, err := verify.Profile(context.Background(), p)
	if err != nil || rep.OK() || rep.Unreachable == "" || rep.TokenMessage != "" || !strings.Contains(rep.Unreachable, "404") {
		t.Errorf("%+v %v", rep, err)
	}
}

func TestCheckOutbox(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "o.txt")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, ok := range map[string]bool{
		dir:                                 true,
		filepath.Join(dir, "new", "nested"): true, // created at the first delivery
		file:                                false,
		filepath.Join(file, "badout"):       false,
		"":                                  false,
	} {
		if err := verify.CheckOutbox(path); (err == nil) != ok {
			t.Errorf("%q: %v", path, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the check left %d entries behind", len(entries))
	}
}
