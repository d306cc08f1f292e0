package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// xsDelivery matches a made-up Xpert Suite import configuration.
const xsDelivery = `  columns:
    medewerkers:
      rename: {Personeelsnummer: Werknemer_Personeelsnummer, SalarisSoort: Soort_salaris}
      omit: [Roepnaam, Salaris]
      add: {Bron: AFAS}
      order: [WerkgeverCode, Werknemer_Personeelsnummer]
    afdelingen:
      rename: {Naam: "Afdeling; naam"}
`

// A consultant's round: import a profile with configured columns, see the headers before the
// first delivery, run twice with nothing changed in AFAS (the same files, no state written the
// second time), and see the example rows.
func TestColumnsCommandAndRoundTrip(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "40", "--seed", "5")
	if out, errOut, code := c.run("profile", "import", c.profile("acme", url, token, "compleet", xsDelivery)); code != 0 {
		t.Fatalf("import: exit %d %s%s", code, out, errOut)
	}
	before, errOut, code := c.run("columns", "acme", "--lang", "en")
	if code != 0 {
		t.Fatalf("columns: exit %d %s", code, errOut)
	}
	for _, want := range []string{"Profile acme — mode compleet", "No delivery yet", "medewerkers.csv\n  WerkgeverCode;Werknemer_Personeelsnummer;Persoonsnummer;BSN;", ";Bron\n", "afdelingen.csv\n  WerkgeverCode;AfdelingCode;\"Afdeling; naam\";", "gebruikers.csv", "verzuim.csv"} {
		if !strings.Contains(before, want) {
			t.Errorf("columns before a delivery lacks %q:\n%s", want, before)
		}
	}
	if strings.Contains(before, "Roepnaam;Tussenvoegsels") {
		t.Errorf("an omitted column is shown:\n%s", before)
	}

	var sums []map[string]any
	for i := 0; i < 2; i++ {
		out, errOut, code := c.run("run", "acme", "--json")
		if code != 0 {
			t.Fatalf("run %d: exit %d %s", i, code, errOut)
		}
		sums = append(sums, lastJSON(t, out))
	}
	if w := sums[1]["state_writes"]; w != 0.0 {
		t.Errorf("the second run wrote %v state records", w)
	}
	for _, f := range []string{"afdelingen.csv", "medewerkers.csv", "gebruikers.csv", "verzuim.csv"} {
		a, err1 := os.ReadFile(filepath.Join(sums[0]["delivery"].(string), f))
		b, err2 := os.ReadFile(filepath.Join(sums[1]["delivery"].(string), f))
		if err1 != nil || err2 != nil || string(a) != string(b) {
			t.Errorf("%s differs between two runs without changes (%v %v)", f, err1, err2)
		}
	}

	after, _, code := c.run("columns", "acme")
	if code != 0 || !strings.Contains(after, "Voorbeeldregels uit levering") {
		t.Fatalf("columns after a delivery: exit %d\n%s", code, after)
	}
	rows := readLines(t, filepath.Join(sums[1]["delivery"].(string), "medewerkers.csv"))
	header, first := strings.TrimSpace(rows[0]), strings.Split(strings.TrimSpace(rows[1]), ";")
	first[3] = strings.Repeat("*", len(first[3])-3) + first[3][len(first[3])-3:] // BSN masked
	if !strings.Contains(after, "medewerkers.csv\n  "+header+"\n  "+strings.Join(first, ";")+"\n") {
		t.Errorf("columns does not show the delivered header and first row (BSN masked):\n%s\nwant\n%s\n%s", after, header, strings.Join(first, ";"))
	}
	if regexp.MustCompile(`;\d{9};`).MatchString(after) {
		t.Errorf("a BSN in full:\n%s", after)
	}

	js, _, code := c.run("columns", "acme", "--json")
	var pv struct {
		Profile  string `json:"profile"`
		Delivery string `json:"delivery"`
		Files    []struct {
			File    string   `json:"file"`
			Header  []string `json:"header"`
			Example []string `json:"example"`
		} `json:"files"`
	}
	if code != 0 || json.Unmarshal([]byte(js), &pv) != nil || pv.Delivery != sums[1]["run"] || len(pv.Files) != 4 || pv.Files[1].Header[1] != "Werknemer_Personeelsnummer" || pv.Files[1].Example[len(pv.Files[1].Example)-1] != "AFAS" {
		t.Errorf("columns --json: exit %d %s", code, js)
	}

	// The changes of a dry run, as runs show lists them, name the columns as the file does.
	profileFile := c.profile("acme", url, token, "compleet", xsDelivery)
	yaml, _ := os.ReadFile(profileFile)
	if err := os.WriteFile(profileFile, []byte(strings.Replace(string(yaml), "kind: maandloon", "kind: svloon", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := c.run("profile", "import", profileFile, "--yes"); code != 0 {
		t.Fatalf("re-import: exit %d %s%s", code, out, errOut)
	}
	out, errOut, code := c.run("run", "acme", "--dry-run", "--json")
	if code != 0 {
		t.Fatalf("dry run: exit %d %s", code, errOut)
	}
	show, _, code := c.run("runs", "show", lastJSON(t, out)["run"].(string), "--lang", "en")
	if code != 0 || !strings.Contains(show, `Soort_salaris: "Bruto maandloon" → "SV-loon"`) || strings.Contains(show, "SalarisSoort:") {
		t.Errorf("runs show of a dry run: exit %d\n%s", code, show)
	}
	showJSON, _, _ := c.run("runs", "show", lastJSON(t, out)["run"].(string), "--json")
	if !strings.Contains(showJSON, `"fields":[{"column":"Soort_salaris","before":"Bruto maandloon","after":"SV-loon"}]`) {
		t.Errorf("runs show --json lacks the named fields: %.600s", showJSON)
	}
	if bsn := regexp.MustCompile(`[\[,]"\d{9}"[,\]]`).FindString(showJSON); bsn != "" {
		t.Errorf("runs show --json shows a BSN in full: %s", bsn)
	}

	if _, errOut, code := c.run("columns", "nobody"); code != 2 || errOut == "" {
		t.Errorf("unknown profile: exit %d %q", code, errOut)
	}
	if _, _, code := c.run("columns"); code != 2 {
		t.Errorf("no profile: exit %d", code)
	}
	// A profile whose columns are invalid is refused at the import, naming the key.
	bad := c.profile("bad", url, token, "mutaties", "  columns: {medewerkers: {omit: [Dienstverband]}}\n  mutation_column: none\n")
	if _, errOut, code := c.run("profile", "import", bad, "--lang", "en"); code != 2 || !strings.Contains(errOut, "delivery.columns.medewerkers.omit") || !strings.Contains(errOut, "key column") {
		t.Errorf("import with a key column omitted: exit %d %s", code, errOut)
	}
}

// In mode mutaties without a mutation column, the preview says so and the headers start with
// koppel's first column.
func TestColumnsWithoutMutationColumn(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "20", "--seed", "6")
	if out, errOut, code := c.run("profile", "import", c.profile("acme", url, token, "mutaties", "  mutation_column: none\n")); code != 0 {
		t.Fatalf("import: exit %d %s%s", code, out, errOut)
	}
	out, _, code := c.run("columns", "acme", "--lang", "en")
	if code != 0 || !strings.Contains(out, "No mutation column") || !strings.Contains(out, "medewerkers.csv\n  WerkgeverCode;Personeelsnummer;") {
		t.Errorf("columns: exit %d\n%s", code, out)
	}
	out, _, code = c.run("run", "acme")
	if code != 0 {
		t.Fatalf("run: exit %d %s", code, out)
	}
	if out, _, _ := c.run("columns", "acme", "--lang", "en"); !strings.Contains(out, "Example rows from delivery") {
		t.Errorf("after a delivery:\n%s", out)
	}
}

// A stored profile whose columns no longer fit (written by another version of koppel): columns
// refuses it with exit 2, naming the key, and prints nothing else.
func TestColumnsRefusesAStoredProfileWithInvalidColumns(t *testing.T) {
	c := newCLI(t)
	if out, errOut, code := c.run("profile", "import", c.profile("acme", "http://127.0.0.1:9/x", strings.Repeat("ab", 32), "compleet", xsDelivery)); code != 0 {
		t.Fatalf("import: exit %d %s%s", code, out, errOut)
	}
	// Edit the catalog as an older koppel might have left it: Roepnaam renamed onto Achternaam.
	db, err := bolt.Open(filepath.Join(c.dir, "koppel.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("profiles"))
		var sp map[string]any
		if err := json.Unmarshal(b.Get([]byte("acme")), &sp); err != nil {
			return err
		}
		d := sp["profile"].(map[string]any)["delivery"].(map[string]any)
		d["columns"] = map[string]any{"gebruikers": map[string]any{"rename": map[string]any{"Roepnaam": "Achternaam"}}}
		data, err := json.Marshal(sp)
		if err != nil {
			return err
		}
		return b.Put([]byte("acme"), data)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := c.run("columns", "acme", "--lang", "en")
	if code != 2 || out != "" || !strings.Contains(errOut, "delivery.columns.gebruikers.rename.Roepnaam") || !strings.Contains(errOut, `"Achternaam" already exists`) {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	if _, _, code := c.run("columns", "acme", "--json"); code != 2 {
		t.Errorf("--json: exit %d", code)
	}
}
