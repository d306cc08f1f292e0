package tui

import (
	"testing"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/koppel-nl/koppel/sync/afassim"
)

// toFlexStep edits the fixture's profile acme up to the Flex step.
func toFlexStep(t *testing.T, f *fixture, tm *teatest.TestModel) {
	t.Helper()
	waitFor(t, tm, "acme")
	press(tm, "e")
	walkPast(t, tm, f, "acme", "", "flex", "AFAS Flex", "Flex-werkgevercode")
}

// Turning Flex on checks Koppel_Plaatsingen like the other connectors; missing at AFAS, the
// account becomes a draft; on without an employer code, the field says what is expected.
func TestWizardFlexStep(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 7, Employees: 20})
	f.addProfile("acme")
	tm := f.start("")
	toFlexStep(t, f, tm)
	press(tm, "space")
	waitFor(t, tm, "Koppel_Plaatsingen", "ontbreekt", "concept")
	press(tm, "enter", "enter")
	waitFor(t, tm, "> Flex-werkgevercode", "is leeg terwijl flex.enabled aan staat", "bijv. UZB")
	tm.Type("UZB")
	press(tm, "enter")
	walkPast(t, tm, f, "acme", "flex", "summary", "opslaan als concept")
	a := quit(t, tm)
	w := a.top().(*wizard)
	if p := w.profile(); !p.Flex.Enabled || p.Flex.Employer != "UZB" {
		t.Errorf("flex %+v", p.Flex)
	}
	if !w.draft() {
		t.Error("without Koppel_Plaatsingen the account is not a draft")
	}
}

// With Koppel_Plaatsingen at AFAS the flex account is complete.
func TestWizardFlexStepWithPlacements(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 7, Employees: 20, Flex: true})
	f.addProfile("acme")
	tm := f.start("")
	toFlexStep(t, f, tm)
	press(tm, "space")
	waitFor(t, tm, "Koppel_Plaatsingen", "geïnstalleerd en compleet")
	press(tm, "enter")
	tm.Type("UZB")
	press(tm, "enter")
	walkPast(t, tm, f, "acme", "flex", "summary", "Overzicht")
	a := quit(t, tm)
	w := a.top().(*wizard)
	if w.draft() || !w.profile().Flex.Enabled {
		t.Errorf("draft %v, flex %+v", w.draft(), w.profile().Flex)
	}
	if c, ok := w.judged().Connector("plaatsingen"); !ok || c.Status != "ok" {
		t.Errorf("Koppel_Plaatsingen judged %+v", c)
	}
}
