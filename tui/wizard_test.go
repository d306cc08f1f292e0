package tui

import (
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
)

// TestWizardExplainsEveryMistake walks the wizard as a newcomer would: a wrong participant
// number, a wrong token, a missing connector and a wrong date, each explained on screen, and
// ends with a saved profile.
func TestWizardExplainsEveryMistake(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 7, Employees: 80, Omit: []string{"Koppel_Verzuim"}})
	tm := f.start("")
	waitFor(t, tm, "Nog geen klantaccounts")
	press(tm, "n")
	waitFor(t, tm, "Nieuw klantaccount", "1/8")

	tm.Type("acme")
	press(tm, "enter")
	tm.Type("Acme Zorg BV")
	press(tm, "enter")
	tm.Type("1234")
	press(tm, "enter", "right", "enter")
	tm.Type(f.url)
	press(tm, "enter")
	waitFor(t, tm, "Deelnemernummer: vijf cijfers")

	tm.Type("5") // the cursor went back to the participant number
	press(tm, "enter", "enter", "enter")
	waitFor(t, tm, "2/8")

	tm.Type(strings.Repeat("0", 64))
	waitFor(t, tm, "64 tekens herkend")
	press(tm, "enter")
	waitFor(t, tm, "AFAS weigert het token", "Invalid token")

	press(tm, "ctrl+u")
	tm.Type(f.sim.Token())
	waitFor(t, tm, "XML-token herkend")
	press(tm, "enter")
	waitFor(t, tm, "3/8", "Koppel_Verzuim", "ontbreekt", "Bruto_maandloon kan de salariskolom zijn")

	press(tm, "s")
	waitFor(t, tm, "koppel-getconnectoren.txt")
	press(tm, "enter")
	waitFor(t, tm, "4/8", "niet te kiezen: Koppel_Verzuim (ontbreekt)")
	press(tm, "down", "down", "down", "space")
	waitFor(t, tm, "niet te kiezen")
	press(tm, "up", "up", "up", "down", "space") // manager accounts on
	press(tm, "enter")
	waitFor(t, tm, "5/8", "geen salaris")
	press(tm, "enter")
	waitFor(t, tm, "de salariskolom, of laat")
	press(tm, "right")
	waitFor(t, tm, "Voorbeeld uit AFAS", "100001/1:")
	press(tm, "enter")
	waitFor(t, tm, "6/8")

	tm.Type("2024-31-01")
	press(tm, "enter")
	waitFor(t, tm, "Datum vanaf: een bestaande datum als JJJJ-MM-DD")
	press(tm, "ctrl+u")
	tm.Type("2024-01-31")
	waitFor(t, tm, "31 januari 2024")
	press(tm, "enter")
	waitFor(t, tm, "beëindigde dienstverbanden")
	press(tm, "enter")
	waitFor(t, tm, "7/8")

	press(tm, "enter", "enter")
	tm.Type("ZBV")
	press(tm, "enter", "enter", "enter", "enter", "enter")
	waitFor(t, tm, "8/8", "Overzicht", "…"+f.sim.TokenData()[60:])
	press(tm, "esc")
	waitFor(t, tm, "7/8") // esc goes back and keeps the values
	press(tm, "enter", "enter", "enter", "enter", "enter", "enter", "enter")
	waitFor(t, tm, "8/8")
	press(tm, "enter")
	waitFor(t, tm, "klantaccount acme opgeslagen")
	quit(t, tm)

	p, err := f.st.Profile("acme")
	if err != nil {
		t.Fatal(err)
	}
	if p.Couplings.Verzuim.Enabled || !p.Couplings.Werknemer.Enabled || !p.Couplings.Werknemer.Managers {
		t.Errorf("couplings %+v", p.Couplings)
	}
	if p.Couplings.Werknemer.Salary == nil || p.Couplings.Werknemer.Salary.Column != afassim.SalaryColumn {
		t.Errorf("salary %+v", p.Couplings.Werknemer.Salary)
	}
	if p.DateFrom != "2024-01-31" || p.Employer != "ZBV" || p.Account.Environment != "test" || p.Account.Participant != "12345" || p.Account.Token != f.sim.Token() {
		t.Errorf("profile %+v", p)
	}
}

func TestWizardGoldenSteps(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 8, Employees: 10})
	a := New(t.Context(), f.deps, "")
	golden(t, "wizard-account", render(t, a, keyMsg("n")))
	view := render(t, a, keyMsg("enter"), keyMsg("enter"), keyMsg("enter"), keyMsg("enter"), keyMsg("enter"))
	if !strings.Contains(view, "Profielnaam: alleen kleine letters") {
		t.Errorf("empty name accepted:\n%s", view)
	}
}
