package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestExplainOneEmployee(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "40", "--seed", "3")
	if out, errOut, code := c.run("profile", "import", c.profile("acme", url, token, "compleet", "")); code != 0 {
		t.Fatalf("import: exit %d %s%s", code, out, errOut)
	}
	out, _, code := c.run("run", "acme", "--json")
	if code != 0 {
		t.Fatalf("run: exit %d", code)
	}
	sum := lastJSON(t, out)
	rows := readLines(t, filepath.Join(sum["delivery"].(string), "medewerkers.csv"))
	line := rows[1]
	emp := strings.Split(line, ";")[1]

	text, errOut, code := c.run("explain", "acme", emp, "--lang", "en")
	if code != 0 {
		t.Fatalf("explain: exit %d %s", code, errOut)
	}
	for _, want := range []string{"Employee " + emp, "Read from AFAS:", "Decisions:", "medewerkers.csv", "Unchanged"} {
		if !strings.Contains(text, want) {
			t.Errorf("explain lacks %q:\n%s", want, text)
		}
	}
	if regexp.MustCompile(`BSN=\d{9}`).MatchString(text) || regexp.MustCompile(`;\d{9};`).MatchString(text) {
		t.Errorf("a BSN in full:\n%s", text)
	}
	js, _, code := c.run("explain", "acme", emp, "--json")
	var x struct {
		Files []struct {
			File  string     `json:"file"`
			Lines [][]string `json:"lines"`
		} `json:"files"`
	}
	if code != 0 || json.Unmarshal([]byte(js), &x) != nil || len(x.Files) == 0 {
		t.Fatalf("explain --json: exit %d %s", code, js)
	}
	if _, _, code := c.run("explain", "acme", "999999"); code != 2 {
		t.Errorf("unknown employee: exit %d, want 2", code)
	}
	if entries, _ := os.ReadDir(filepath.Join(c.dir, "outbox", "acme")); len(entries) != 1 {
		t.Errorf("explain delivered something: %d folders", len(entries))
	}
}

func TestExplainDateAndHints(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "40", "--seed", "3")
	if out, errOut, code := c.run("profile", "import", c.profile("acme", url, token, "compleet", "")); code != 0 {
		t.Fatalf("import: exit %d %s%s", code, out, errOut)
	}
	out, _, code := c.run("run", "acme", "--json")
	if code != 0 {
		t.Fatalf("run: exit %d", code)
	}
	rows := readLines(t, filepath.Join(lastJSON(t, out)["delivery"].(string), "medewerkers.csv"))
	cols := strings.Split(rows[1], ";")
	emp, surname := cols[1], cols[9] // Personeelsnummer, Geboortenaam

	text, errOut, code := c.run("explain", "acme", emp, "--date", "2027-03-01", "--lang", "en")
	if code != 0 || !strings.Contains(text, "Evaluated as on 2027-03-01") || !strings.Contains(text, "on 2027-03-01") {
		t.Errorf("--date: exit %d\n%s%s", code, text, errOut)
	}
	if !strings.Contains(errOut, "Koppel_Medewerkers: read 1 row") {
		t.Errorf("no progress on stderr: %q", errOut)
	}
	js, _, code := c.run("explain", "acme", emp, "--date", "2027-03-01", "--json")
	var x struct{ Day string }
	if code != 0 || json.Unmarshal([]byte(js), &x) != nil || x.Day != "2027-03-01" {
		t.Errorf("--json --date: exit %d day %q", code, x.Day)
	}
	for _, bad := range []string{"2027-02-30", "1-3-2027", "morgen"} {
		_, errOut, code := c.run("explain", "acme", emp, "--date", bad, "--lang", "en")
		if code != 2 || !strings.Contains(errOut, "--date") || !strings.Contains(errOut, "YYYY-MM-DD") {
			t.Errorf("--date %s: exit %d, %s", bad, code, errOut)
		}
	}
	// Part of a name finds the numbers.
	_, errOut, code = c.run("explain", "acme", strings.ToLower(surname), "--lang", "en")
	if code != 2 || !strings.Contains(errOut, "in their name") || !strings.Contains(errOut, emp) {
		t.Errorf("a name: exit %d, %s", code, errOut)
	}
	if regexp.MustCompile(`\d{9}`).MatchString(errOut) {
		t.Errorf("a BSN in the hint: %s", errOut)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}
