package tui

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/profile"
)

// The documents step lists the dossier item types AFAS has, with their counts, read without a
// download; a medical-sounding type is flagged; the ticked types become the profile's whitelist.
func TestWizardDocumentsStep(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 7, Employees: 40, Documents: true})
	f.addProfile("acme")
	tm := f.start("")
	waitFor(t, tm, "acme")
	press(tm, "e")
	walkPast(t, tm, f, "acme", "", "documents", "AFAS Documenten", "PVA", "Plan van aanpak (", "bijlagen)", "Medische informatie bedrijfsarts", "medische gegevens")
	// Fields: the switch, AOK, LBS, MED, PVA, ZMF, the cap.
	press(tm, "space")
	waitFor(t, tm, "[x]")
	press(tm, "enter")
	waitFor(t, tm, "geen dossieritemtypen gekozen") // said at the switch as it is left
	press(tm, "enter", "enter", "enter", "space", "enter", "enter", "enter")
	walkPast(t, tm, f, "acme", "documents", "summary")
	press(tm, "enter")
	waitFor(t, tm, "klantaccount acme opgeslagen")
	quit(t, tm)
	p, err := f.st.Profile("acme")
	if err != nil {
		t.Fatal(err)
	}
	d := p.Couplings.Documenten
	if !d.Enabled || !slices.Equal(d.Types, []string{"PVA"}) || d.MaxFileMB != 25 {
		t.Errorf("documenten %+v", d)
	}
	if n := f.sim.AttachmentCalls(); n != 0 {
		t.Errorf("the wizard downloaded %d attachments", n)
	}
}

// A run with AFAS Documenten shows the documents with their bytes, on the run screen and in the
// history.
func TestRunShowsDocuments(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 5, Employees: 60, Documents: true})
	p := f.addProfile("acme")
	p.Couplings.Documenten = profile.Documenten{Enabled: true, Types: []string{"PVA", "ZMF"}, MaxFileMB: 25}
	if err := f.st.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	tm := f.start("")
	waitFor(t, tm, "acme")
	press(tm, "r")
	waitFor(t, tm, "Klaar. Geleverd in", "Documenten", "Documenten: ", "MB verzonden")
	quit(t, tm)
	last, err := f.st.LastRun("acme")
	if err != nil || last == nil {
		t.Fatal(err)
	}
	view := render(t, New(context.Background(), f.deps, ""), keyMsg("h"), keyMsg("enter"))
	if !strings.Contains(view, "Documenten: ") || !strings.Contains(view, "MB verzonden") {
		t.Errorf("the run in the history does not show its documents:\n%s", view)
	}
}
