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

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}
