package engine_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/documents"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
)

// In flex mode a document is delivered under its person, as the absences are: documenten.csv
// names the Personeelsnummer and WerkgeverCode medewerkers.csv delivers the person under.
func TestFlexDocumentsAreThePersons(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 5, Employees: 80, Documents: true, Flex: true}, profile.ModeCompleet)
	e.flexOn()
	p, err := e.store.Profile("acme")
	if err != nil {
		t.Fatal(err)
	}
	p.Couplings.Documenten = profile.Documenten{Enabled: true, Types: docTypes, MaxFileMB: 25}
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	res, _ := e.run(engine.Options{})
	if res.Run.Status != "ok" {
		t.Fatalf("run %s: %s", res.Run.Status, res.Run.Error)
	}
	persons := map[string]bool{}
	for _, row := range readCSV(t, filepath.Join(res.Run.Delivery, "medewerkers.csv"))[1:] {
		persons[row[0]+"/"+row[1]] = true
	}
	docs := readCSV(t, filepath.Join(res.Run.Delivery, documents.File))
	if len(docs) < 2 {
		t.Fatalf("no documents delivered: %v", docs)
	}
	col := func(name string) int { return slices.Index(docs[0], name) }
	for _, row := range docs[1:] {
		who := row[col("WerkgeverCode")] + "/" + row[col("Personeelsnummer")]
		if row[col("WerkgeverCode")] != "UZB" || !persons[who] {
			t.Errorf("document %s delivered under %s, not a delivered person", row[col("DocumentId")], who)
		}
	}
}
