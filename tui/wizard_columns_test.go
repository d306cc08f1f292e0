package tui

import (
	"context"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/columns"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
)

var ctrlO = tea.KeyMsg{Type: tea.KeyCtrlO}

// columnsFixture is a saved profile with one delivery and its wizard open on the delivery step.
func columnsFixture(t *testing.T, mode string) (*fixture, *App, *wizard, string) {
	t.Helper()
	f := newFixture(t, afassim.Options{Seed: 9, Employees: 12})
	p := f.addProfile("acme")
	p.Delivery.Mode = mode
	if err := f.st.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	res, err := engine.New(f.st).Run(context.Background(), "acme", f.deps.Engine, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := New(context.Background(), f.deps, "")
	stored, _ := f.st.Profile("acme")
	w := newWizard(a.env, stored)
	a.stack = append(a.stack, w)
	i, _ := w.stepOf("delivery")
	w.goTo(i)
	return f, a, w, res.Run.ID
}

// stable replaces what differs between test runs (the run id, the temporary folder).
func stable(view string, f *fixture, run string) string {
	return strings.ReplaceAll(strings.ReplaceAll(view, run, "RUN-ID"), f.dir, "DIR")
}

func TestWizardColumnEditor(t *testing.T) {
	f, a, w, run := columnsFixture(t, profile.ModeCompleet)
	page1 := render(t, a)
	for _, want := range []string{"Kolommen: zoals koppel ze levert (ctrl+o: aanpassen)", "medewerkers.csv  WerkgeverCode;Personeelsnummer;Persoonsnummer", "ctrl+o kolommen"} {
		if !strings.Contains(page1, want) {
			t.Errorf("delivery step lacks %q:\n%s", want, page1)
		}
	}
	golden(t, "wizard-delivery", stable(page1, f, run))

	view := render(t, a, ctrlO)
	golden(t, "wizard-columns", stable(view, f, run))
	for _, want := range []string{"Levering: kolommen", "> Mutatiekolom", "‹ medewerkers.csv ›", "medewerkers.csv zoals geleverd:", "Voorbeeld uit levering " + run, "Ook (kolommen): afdelingen.csv 6 · gebruikers.csv 13 · verzuim.csv 15"} {
		if !strings.Contains(view, want) {
			t.Errorf("column editor lacks %q:\n%s", want, view)
		}
	}

	// Rename, leave out, add; the preview follows each edit.
	view = keys(t, a, "tab", "tab", "Personeelsnummer=Werknemer_Personeelsnummer", "tab", "Roepnaam", "tab", "Bron=AFAS", "tab", "WerkgeverCode, Werknemer_Personeelsnummer")
	header := strings.Join(previewHeader(t, w, "medewerkers.csv"), ";")
	if !strings.HasPrefix(header, "WerkgeverCode;Werknemer_Personeelsnummer;Persoonsnummer;BSN;") || !strings.HasSuffix(header, ";Bron") || strings.Contains(header, "Roepnaam") {
		t.Errorf("header after the edits: %s", header)
	}
	if !strings.Contains(view, "WerkgeverCode;Werknemer_Personeelsnummer;") || !strings.Contains(view, "SalarisSoort;Bron") || !strings.Contains(view, "Bruto maandloon;\n  AFAS") {
		t.Errorf("the preview does not follow the edits:\n%s", view)
	}
	golden(t, "wizard-columns-edited", stable(view, f, run))

	// enter on the last field checks and goes back to the delivery fields.
	view = keys(t, a, "enter")
	if w.step().code() != "delivery" || !strings.Contains(view, "aangepast voor medewerkers.csv") {
		t.Fatalf("enter on the last field:\n%s", view)
	}
	want := map[string]columns.Config{"medewerkers": {
		Rename: map[string]string{"Personeelsnummer": "Werknemer_Personeelsnummer"}, Omit: []string{"Roepnaam"},
		Add: map[string]string{"Bron": "AFAS"}, Order: []string{"WerkgeverCode", "Werknemer_Personeelsnummer"},
	}}
	if got := w.profile().Delivery.Columns; !reflect.DeepEqual(got, want) {
		t.Errorf("profile columns %+v", got)
	}
	if err := w.profile().Validate(); err != nil {
		t.Errorf("the edited profile is invalid: %v", err)
	}
}

// The editor says what is wrong at the field, in the profile's words, and keeps the consultant
// there until it is right; esc goes back to the delivery fields, not the step before.
func TestWizardColumnProblems(t *testing.T) {
	_, a, w, _ := columnsFixture(t, profile.ModeMutaties)
	render(t, a, ctrlO)
	view := keys(t, a, "tab", "tab", "Roepnaam=Achternaam", "tab", "Personeelsnummer", "tab", "Voornaam=x", "tab", "Leeftijd", "enter")
	for _, want := range []string{
		`"Achternaam" bestaat al in dit bestand; verwacht: een nieuwe naam`,
		`"Personeelsnummer" is een sleutelkolom`,
		`"Leeftijd" is geen kolom van dit bestand`,
		`kolom "Voornaam" komt twee keer voor`,
		"Geen voorbeeld zolang de kolommen niet kloppen",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("problems lack %q:\n%s", want, view)
		}
	}
	if w.step().code() != "columns" {
		t.Fatalf("enter left the editor with problems")
	}
	// esc: back to the delivery fields, with the values kept; enter there opens the editor
	// again on the file with the problem.
	render(t, a, tea.KeyMsg{Type: tea.KeyEsc})
	if w.step().code() != "delivery" {
		t.Fatalf("esc left the step: %s", w.step().code())
	}
	view = render(t, a, tea.KeyMsg{Type: tea.KeyEnter})
	if w.step().code() != "columns" || !strings.Contains(view, "sleutelkolom") || !strings.Contains(view, "‹ medewerkers.csv ›") {
		t.Fatalf("the delivery step went on with invalid columns:\n%s", view)
	}
	// Fixed: no mutation column, the other fields cleared.
	view = keys(t, a, "shift+tab", "shift+tab", "right", "tab", "tab", "ctrl+u", "tab", "ctrl+u", "tab", "ctrl+u", "Bron=AFAS", "tab", "ctrl+u")
	header := previewHeader(t, w, "medewerkers.csv")
	if header[0] != "WerkgeverCode" || header[len(header)-1] != "Bron" {
		t.Errorf("without a mutation column the header is %v:\n%s", header, view)
	}
	if !strings.Contains(view, "‹ geen (alleen nieuw en gewijzigd) ›") {
		t.Errorf("mutation column choice:\n%s", view)
	}
	keys(t, a, "enter")
	if w.step().code() != "delivery" {
		t.Fatalf("enter with valid columns stays in the editor:\n%s", render(t, a))
	}
	p := w.profile()
	if p.Delivery.MutationColumn != profile.NoMutationColumn || !reflect.DeepEqual(p.Delivery.Columns, map[string]columns.Config{"medewerkers": {Add: map[string]string{"Bron": "AFAS"}}}) {
		t.Errorf("profile %q %+v", p.Delivery.MutationColumn, p.Delivery.Columns)
	}
}

// Editing a profile and changing nothing leaves its columns exactly as they were.
func TestWizardKeepsColumns(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 9, Employees: 5})
	p := f.addProfile("acme")
	p.Delivery.Columns = map[string]columns.Config{"verzuim": {Rename: map[string]string{"Vangnet": "Vangnetregeling", "VerzuimId": "Id"}, Order: []string{"Id"}}}
	p.Delivery.MutationColumn = "Soort"
	if err := f.st.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	stored, _ := f.st.Profile("acme")
	a := New(context.Background(), f.deps, "")
	w := newWizard(a.env, stored)
	if got := w.profile(); !reflect.DeepEqual(got.Delivery, stored.Delivery) {
		t.Errorf("delivery %+v, want %+v", got.Delivery, stored.Delivery)
	}
	if w.fingerprint() != w.start {
		t.Error("an untouched wizard counts as changed")
	}
	a.stack = append(a.stack, w)
	i, _ := w.stepOf("delivery")
	w.goTo(i)
	view := render(t, a, ctrlO)
	if !strings.Contains(view, "‹ Soort ›") || !strings.Contains(view, "Nog geen levering") {
		t.Errorf("editor of a profile without delivery:\n%s", view)
	}
	if fields := w.step().form().fields; fields[1].value() != "medewerkers" {
		t.Errorf("first file %s", fields[1].value())
	}
	// The verzuim file's fields show its settings.
	view = keys(t, a, "tab", "right", "right")
	if !strings.Contains(view, "Vangnet=Vangnetregeling, VerzuimId=Id") || !strings.Contains(view, "Id;WerkgeverCode;Personeelsnummer;VerloopId") {
		t.Errorf("verzuim columns:\n%s", view)
	}
}

func previewHeader(t *testing.T, w *wizard, file string) []string {
	t.Helper()
	var ds *deliveryStep
	for _, s := range w.steps {
		if d, ok := s.(*deliveryStep); ok {
			ds = d
		}
	}
	pv, problem := ds.cols.preview(w, w.profile())
	if pv == nil {
		t.Fatalf("no preview: %s", problem)
	}
	for _, f := range pv.Files {
		if f.File == file {
			return f.Header
		}
	}
	t.Fatalf("no %s in the preview", file)
	return nil
}

// A consultant edits a profile in the running UI: opens the column editor on the delivery step,
// renames a column, sees the header change, saves, and the next run delivers that header.
func TestWizardColumnsAsAConsultant(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 7, Employees: 20})
	f.addProfile("acme")
	if _, err := engine.New(f.st).Run(context.Background(), "acme", f.deps.Engine, nil); err != nil {
		t.Fatal(err)
	}
	tm := f.start("")
	waitFor(t, tm, "acme")
	press(tm, "e")
	walkPast(t, tm, f, "acme", "", "delivery", "Kolommen: zoals koppel ze levert")
	tm.Send(ctrlO)
	waitFor(t, tm, "Levering: kolommen", "Voorbeeld uit levering")
	press(tm, "tab", "tab")
	tm.Type("Personeelsnummer=Werknemer_Personeelsnummer")
	waitFor(t, tm, "WerkgeverCode;Werknemer_Personeelsnummer;Persoonsnummer")
	press(tm, "enter", "enter", "enter", "enter")
	waitFor(t, tm, "aangepast voor medewerkers.csv")
	press(tm, "enter")
	walkPast(t, tm, f, "acme", "delivery", "summary")
	press(tm, "enter")
	waitFor(t, tm, "opgeslagen")
	quit(t, tm)

	p, err := f.st.Profile("acme")
	if err != nil || p.Delivery.Columns["medewerkers"].Rename["Personeelsnummer"] != "Werknemer_Personeelsnummer" {
		t.Fatalf("saved columns %+v %v", p.Delivery.Columns, err)
	}
	pv, err := engine.PreviewColumns(f.st, p)
	if err != nil || pv.Files[1].Header[1] != "Werknemer_Personeelsnummer" {
		t.Fatalf("preview after saving: %+v %v", pv, err)
	}
	res, err := engine.New(f.st).Run(context.Background(), "acme", f.deps.Engine, nil)
	if err != nil || res.Run.StateWrites != 0 {
		t.Fatalf("run after a column change: %v, %d state writes", err, res.Run.StateWrites)
	}
}
