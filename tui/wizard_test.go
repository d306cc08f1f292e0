package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/i18n"
)

// TestWizardExplainsEveryMistake walks the wizard as a newcomer would: a wrong participant
// number, a wrong token, a missing connector and wrong dates, each explained at its field, and
// ends with a saved profile. enter goes to the next field on every step, and on a step's last
// field to the next step.
func TestWizardExplainsEveryMistake(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 7, Employees: 80, Omit: []string{"Koppel_Verzuim"}})
	no := func(code string) string { return stepNo(t, f, "", code) }
	tm := f.start("")
	waitFor(t, tm, "Nog geen klantaccounts")
	press(tm, "n")
	waitFor(t, tm, "Nieuw klantaccount", no("account"))

	tm.Type("acme")
	press(tm, "enter")
	tm.Type("Acme Zorg BV")
	press(tm, "enter")
	tm.Type("1234")
	press(tm, "enter")
	waitFor(t, tm, `"1234" is geen deelnemernummer`) // said at once, at its field
	press(tm, "right", "enter")
	// Just the host: AFAS's path is added.
	tm.Type(strings.TrimSuffix(f.url, soapPath))
	press(tm, "enter")
	waitFor(t, tm, "> Deelnemernummer") // the step's check puts the cursor on the problem

	tm.Type("5") // the cursor went back to the participant number
	press(tm, "enter", "enter", "enter")
	waitFor(t, tm, no("token"))

	tm.Type(strings.Repeat("0", 64))
	waitFor(t, tm, "64 tekens herkend")
	press(tm, "ctrl+t")
	waitFor(t, tm, strings.Repeat("0", 40)) // shown, to check a character
	press(tm, "enter")
	waitFor(t, tm, "AFAS weigert het token", "Invalid token")

	press(tm, "ctrl+u")
	tm.Type(f.sim.Token())
	waitFor(t, tm, "XML-token herkend")
	press(tm, "enter")
	waitFor(t, tm, no("connectors"), "Koppel_Verzuim", "ontbreekt", "Bruto_maandloon kan de salariskolom zijn", "token geaccepteerd")

	press(tm, "s")
	waitFor(t, tm, "koppel-getconnectoren.txt")
	press(tm, "enter")
	walkPast(t, tm, f, "", "connectors", "couplings", "nog niet in orde bij AFAS")
	press(tm, "down", "down", "down", "space") // AFAS Verzuim off: its connector is missing
	press(tm, "up", "up", "space")             // manager accounts on
	press(tm, "enter", "enter", "enter")
	waitFor(t, tm, no("salary"), "geen salaris")
	press(tm, "right")
	waitFor(t, tm, "Voorbeeld uit AFAS", "100001/1:", "Koppel_Dienstverbanden  geïnstalleerd en compleet")
	press(tm, "enter", "enter")
	waitFor(t, tm, no("date"))

	tm.Type("31-01-2024")
	press(tm, "enter")
	waitFor(t, tm, "bedoelt u 2024-01-31")
	press(tm, "ctrl+u")
	tm.Type("2024-02-30")
	press(tm, "enter")
	waitFor(t, tm, "30 februari 2024 bestaat niet")
	press(tm, "ctrl+u")
	tm.Type("2024-01-31")
	waitFor(t, tm, "31 januari 2024")
	press(tm, "enter")
	waitFor(t, tm, "beëindigde dienstverbanden")
	press(tm, "enter")
	waitFor(t, tm, no("delivery"), "(codes uit AFAS)")

	press(tm, "enter", "enter", "enter", "enter", "enter", "enter", "enter")
	walkPast(t, tm, f, "", "delivery", "summary", "Overzicht", "…"+f.sim.TokenData()[60:], "koppel run acme")
	press(tm, "esc")
	probe := probeWizard(t, f, "")
	summary, _ := probe.stepOf("summary")
	before := probe.steps[summary-1].code()
	leave(t, tm, before, no(before)) // esc goes back and keeps the values
	waitFor(t, tm, no("summary"))
	press(tm, "enter")
	waitFor(t, tm, "klantaccount acme opgeslagen")
	quit(t, tm)

	p, err := f.st.Profile("acme")
	if err != nil {
		t.Fatal(err)
	}
	if p.Draft || p.Couplings.Verzuim.Enabled || !p.Couplings.Werknemer.Enabled || !p.Couplings.Werknemer.Managers {
		t.Errorf("couplings %+v, draft %v", p.Couplings, p.Draft)
	}
	if p.Couplings.Werknemer.Salary == nil || p.Couplings.Werknemer.Salary.Column != afassim.SalaryColumn {
		t.Errorf("salary %+v", p.Couplings.Werknemer.Salary)
	}
	if p.DateFrom != "2024-01-31" || p.Employer != f.sim.Employers()[0] || p.Account.Environment != "test" || p.Account.Participant != "12345" || p.Account.Token != f.sim.Token() || p.Account.URL != f.url {
		t.Errorf("profile %+v", p)
	}
	if !strings.Contains(p.Delivery.Outbox, f.dir) {
		t.Errorf("outbox %s not beside the store", p.Delivery.Outbox)
	}
}

func TestWizardGoldenSteps(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 8, Employees: 10})
	a := New(t.Context(), f.deps, "")
	golden(t, "wizard-account", keys(t, a, "n"))
	// Every problem of the step at once, each at its field.
	view := keys(t, a, "enter", "enter", "enter", "enter", "enter")
	golden(t, "wizard-account-errors", view)
	for _, want := range []string{"niet ingevuld; verwacht: kleine letters", "is leeg; verwacht: een herkenbare naam", "niet ingevuld; verwacht: vijf cijfers"} {
		if !strings.Contains(view, want) {
			t.Errorf("account step lacks %q:\n%s", want, view)
		}
	}
	if !strings.Contains(view, "> Profielnaam") {
		t.Errorf("the cursor is not on the first problem:\n%s", view)
	}
}

// With no usable connector the consultant is not stuck: the account is saved as a draft, marked
// on home, refused by run, explained by verify, and resumed with e.
func TestWizardSavesADraft(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 7, Employees: 20, Omit: []string{"Koppel_Verzuim", "Koppel_Dienstverbanden"}})
	no := func(code string) string { return stepNo(t, f, "", code) }
	tm := f.start("")
	waitFor(t, tm, "Nog geen klantaccounts")
	press(tm, "n")
	waitFor(t, tm, no("account"))
	tm.Type("acme")
	press(tm, "enter")
	tm.Type("Acme Zorg BV")
	press(tm, "enter")
	tm.Type("12345")
	press(tm, "enter", "right", "enter")
	tm.Type(f.url)
	press(tm, "enter")
	waitFor(t, tm, no("token"))
	tm.Type(f.sim.Token())
	press(tm, "enter")
	waitFor(t, tm, no("connectors"), "Koppel_Dienstverbanden", "ontbreekt", "als concept opslaan")
	press(tm, "enter")
	walkPast(t, tm, f, "", "connectors", "couplings", "nog niet in orde bij AFAS")
	press(tm, "enter", "enter", "enter", "enter")
	waitFor(t, tm, no("salary")) // salary: the connector is missing, no candidates
	press(tm, "enter", "enter")
	waitFor(t, tm, no("date"))
	tm.Type("2024-01-31")
	press(tm, "enter") // nothing to count at AFAS without Koppel_Dienstverbanden: on at once
	waitFor(t, tm, no("delivery"), "(codes uit AFAS)")
	press(tm, "enter", "enter", "enter", "enter", "enter", "enter", "enter")
	walkPast(t, tm, f, "", "delivery", "summary", "Wordt opgeslagen als concept", "opslaan als concept")
	press(tm, "enter")
	waitFor(t, tm, "opgeslagen als concept", "concept")
	press(tm, "r")
	waitFor(t, tm, "acme is een concept")
	press(tm, "v")
	waitFor(t, tm, "Concept: acme draait pas", "Koppel_Dienstverbanden", "ontbreekt")
	press(tm, "esc")
	waitFor(t, tm, "klantaccounts")
	press(tm, "e")
	waitFor(t, tm, "Klantaccount acme bewerken", "Acme Zorg BV")
	quit(t, tm)
	p, err := f.st.Profile("acme")
	if err != nil || !p.Draft {
		t.Fatalf("not a draft: %+v %v", p, err)
	}
	if _, err := engine.New(f.st).Run(context.Background(), "acme", engine.Options{}, nil); err == nil {
		t.Errorf("a draft ran")
	}
}

// Editing a profile whose salary column is set: the connector check counts it as allowed, as
// koppel verify does.
func TestWizardCountsTheSalaryColumnAsAllowed(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 7, Employees: 20})
	f.addProfile("acme")
	no := func(code string) string { return stepNo(t, f, "acme", code) }
	tm := f.start("")
	waitFor(t, tm, "acme")
	press(tm, "e")
	waitFor(t, tm, "bewerken", no("account"))
	press(tm, "enter", "enter", "enter", "enter")
	waitFor(t, tm, no("token"))
	press(tm, "enter")
	waitFor(t, tm, no("connectors"), "Koppel_Dienstverbanden  geïnstalleerd en compleet", "salariskolom Bruto_maandloon hoort erbij")
	a := quit(t, tm)
	w := a.top().(*wizard)
	if c, _ := w.judged().Connector("dienstverbanden"); c.Status != "ok" {
		t.Errorf("Koppel_Dienstverbanden judged %s", c.Status)
	}
	if w.draft() {
		t.Errorf("a complete profile would be saved as a draft")
	}
}

// Leaving a wizard with something entered asks first; ctrl+c too.
func TestWizardAsksBeforeDiscarding(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 8, Employees: 10})
	a := New(context.Background(), f.deps, "")
	keys(t, a, "n", "esc")
	if _, ok := a.top().(*home); !ok {
		t.Fatalf("an empty wizard asks before closing")
	}
	view := keys(t, a, "n", "a", "enter", "ctrl+c")
	if !strings.Contains(view, "Wizard sluiten?") || !strings.Contains(view, "[ Nee, verder invullen ]") {
		t.Fatalf("ctrl+c discards without asking:\n%s", view)
	}
	view = keys(t, a, "enter")
	if w, ok := a.top().(*wizard); !ok || w.steps[0].(*accountStep).name.value() != "a" {
		t.Fatalf("the safe answer lost the values:\n%s", view)
	}
	keys(t, a, "esc", "right", "enter")
	if _, ok := a.top().(*home); !ok {
		t.Fatalf("discarding did not close the wizard: %T", a.top())
	}
}

func TestDateMessages(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 8, Employees: 5})
	e := New(context.Background(), f.deps, "").env
	for in, want := range map[string]string{
		"31-01-2022": "bedoelt u 2022-01-31 (31 januari 2022)",
		"2022-02-30": "30 februari 2022 bestaat niet",
		"2022-31-01": "bedoelt u 2022-01-31",
		"2022/01/31": "bedoelt u 2022-01-31",
		"2022-1-31":  "bedoelt u 2022-01-31",
		"gisteren":   "",
	} {
		if got := dateProblem(e, in); !strings.Contains(got, want) || want == "" && got != "" {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]string{"2099-01-01": "in de toekomst", "1900-01-01": "meer dan tien jaar", "2024-01-01": ""} {
		if got := dateWarning(e, in, now); !strings.Contains(got, want) || want == "" && got != "" {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
	e.Lang = i18n.EN
	if got := dateProblem(e, "2022-02-30"); !strings.Contains(got, "30 February 2022 does not exist") {
		t.Errorf("English: %q", got)
	}
}

func TestSoapURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":  "http://127.0.0.1:8080" + soapPath,
		"http://127.0.0.1:8080/": "http://127.0.0.1:8080" + soapPath,
		"https://x" + soapPath:   "https://x" + soapPath,
		"":                       "",
		"ftp://x":                "ftp://x",
	} {
		if got := soapURL(in); got != want {
			t.Errorf("%s: %s", in, got)
		}
	}
}
