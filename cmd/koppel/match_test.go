package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
)

// expectedKoppeltabel is the exact link table of the simulator's export once every open case
// is decided as its decisions file says: the ground truth the simulator knows.
func expectedKoppeltabel(ex *afassim.XSExport) []string {
	rows := []string{"Entiteit;WerkgeverCodeXS;PersoneelsnummerXS;VerzuimIdXS;WerkgeverCode;Personeelsnummer;VerzuimId;Methode"}
	var body []string
	for _, p := range ex.Pairs {
		if p.XS == p.AFAS {
			continue // same key: nothing to renumber
		}
		m := "besluit"
		if p.Case == afassim.XSRenumbered {
			m = "bsn"
		}
		xw, xp, _ := strings.Cut(p.XS, "/")
		aw, ap, _ := strings.Cut(p.AFAS, "/")
		body = append(body, strings.Join([]string{"medewerker", xw, xp, "", aw, ap, "", m}, ";"))
	}
	for _, a := range ex.AbsencePairs {
		xw, xp, _ := strings.Cut(a.XSEmployee, "/")
		aw, ap, _ := strings.Cut(a.AFASEmployee, "/")
		body = append(body, strings.Join([]string{"verzuim", xw, xp, a.XSVerzuimID, aw, ap, a.AFASVerzuimID, "datum"}, ";"))
	}
	slices.Sort(body)
	return append(rows, body...)
}

func TestMatchFirstSyncEndToEnd(t *testing.T) {
	c := newCLI(t)
	xs := filepath.Join(c.dir, "xs")
	url, token := c.sim("--xs-export", xs)
	if out, errOut, code := c.run("profile", "import", c.profile("acme", url, token, "compleet", "")); code != 0 {
		t.Fatalf("import: exit %d %s%s", code, out, errOut)
	}
	ex, err := afassim.New(afassim.Options{Seed: 1, Employees: 250}).WriteXSExport(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	emps, abs := filepath.Join(xs, afassim.XSEmployeesFile), filepath.Join(xs, afassim.XSAbsencesFile)
	bsns := exportBSNs(t, emps)

	// First match: the open cases wait, the unreadable rows are named by line.
	out, errOut, code := c.run("match", "acme", "--xs-employees", emps, "--xs-absences", abs, "--json")
	if code != 1 {
		t.Fatalf("match with open cases: exit %d, want 1\n%s%s", code, out, errOut)
	}
	sum := lastJSON(t, out)
	if sum["event"] != "summary" || sum["open"].(float64) != 12 || sum["skipped_rows"].(float64) != 4 {
		t.Fatalf("summary: %v", sum)
	}
	med := sum["summary"].(map[string]any)["medewerkers"].(map[string]any)
	if med["kandidaat"].(float64) != 4 || med["conflict"].(float64) != 2 || med["dubbelzinnig"].(float64) != 6 {
		t.Errorf("open counts: %v", med)
	}
	for _, line := range []string{`"line":6`, `"line":12`, `"line":17`, `"line":4`} {
		if !strings.Contains(out, line) {
			t.Errorf("no skipped row at %s:\n%s", line, out)
		}
	}
	checkNoBSN(t, "match --json", out+errOut, bsns)

	// A run of a profile whose match waits says so, and is not blocked.
	out, errOut, code = c.run("run", "acme", "--dry-run", "--lang", "en")
	if code != 0 || !strings.Contains(errOut, "still waits for 12 decision(s)") {
		t.Errorf("run while the match waits: exit %d, no warning:\n%s", code, errOut)
	}

	// Decided from the file: nothing waits, and the link table is exact.
	out, errOut, code = c.run("match", "acme", "--xs-employees", emps, "--xs-absences", abs, "--decisions", ex.Decisions, "--lang", "en")
	if code != 0 {
		t.Fatalf("match with decisions: exit %d\n%s%s", code, out, errOut)
	}
	folder := matchFolder(t, out)
	got := readLines(t, filepath.Join(folder, "koppeltabel.csv"))
	for i := range got {
		got[i] = strings.TrimSuffix(got[i], "\r")
	}
	if want := expectedKoppeltabel(ex); !slices.Equal(got, want) {
		t.Errorf("koppeltabel.csv:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range []string{"koppeltabel.csv", "matchrapport.csv", "manifest.json"} {
		data, err := os.ReadFile(filepath.Join(folder, f))
		if err != nil {
			t.Fatal(err)
		}
		checkNoBSN(t, f, string(data), bsns)
	}
	checkNoBSN(t, "match output", out+errOut, bsns)

	// The decisions are kept: the next match needs no file.
	out, _, code = c.run("match", "acme", "--xs-employees", emps, "--xs-absences", abs, "--json")
	if code != 0 || lastJSON(t, out)["summary"].(map[string]any)["besluiten"].(map[string]any)["toegepast"].(float64) != 9 {
		t.Errorf("re-run with stored decisions: exit %d\n%s", code, out)
	}
	out, _, _ = c.run("run", "acme", "--dry-run", "--lang", "en")
	if strings.Contains(out, "still waits") {
		t.Errorf("warning after everything was decided")
	}
	// The match is in the history with its own kind, its log without a BSN.
	out, _, _ = c.run("runs", "acme", "--lang", "en")
	if !strings.Contains(out, "XS match") {
		t.Errorf("runs does not show the match:\n%s", out)
	}
	js, _, _ := c.run("runs", "acme", "--json")
	id := ""
	for _, l := range strings.Split(strings.TrimSpace(js), "\n") {
		if strings.Contains(l, `"kind":"match"`) {
			id = regexp.MustCompile(`"run":"([^"]+)"`).FindStringSubmatch(l)[1]
		}
	}
	if id == "" {
		t.Fatalf("no run of kind match:\n%s", js)
	}
	log, _, _ := c.run("runs", "show", id, "--json")
	checkNoBSN(t, "the match's log", log, bsns)

	// A preview writes nothing.
	before, _ := os.ReadDir(filepath.Join(c.dir, "outbox", "acme"))
	if _, _, code := c.run("match", "acme", "--xs-employees", emps, "--dry-run"); code != 0 {
		t.Errorf("dry run: exit %d", code)
	}
	if after, _ := os.ReadDir(filepath.Join(c.dir, "outbox", "acme")); len(after) != len(before) {
		t.Errorf("a preview wrote a folder")
	}
}

func TestMatchAcceptCandidatesAndBadInput(t *testing.T) {
	c := newCLI(t)
	xs := filepath.Join(c.dir, "xs")
	url, token := c.sim("--xs-export", xs)
	c.run("profile", "import", c.profile("acme", url, token, "mutaties", ""))
	emps := filepath.Join(xs, afassim.XSEmployeesFile)

	out, _, code := c.run("match", "acme", "--xs-employees", emps, "--accept-candidates", "--json")
	med := lastJSON(t, out)["summary"].(map[string]any)["medewerkers"].(map[string]any)
	if code != 1 || med["kandidaat"].(float64) != 0 || med["per_methode"].(map[string]any)["naam"].(float64) != 4 {
		t.Errorf("--accept-candidates: exit %d %v", code, med)
	}

	bad := filepath.Join(c.dir, "bad.csv")
	os.WriteFile(bad, []byte("Personeelsnummer;BSN\n1;2\n"), 0o600)
	_, errOut, code := c.run("match", "acme", "--xs-employees", bad, "--lang", "en")
	if code != 2 || !strings.Contains(errOut, "WerkgeverCode") {
		t.Errorf("missing key column: exit %d %s", code, errOut)
	}
	if _, _, code := c.run("match", "acme", "--xs-employees", filepath.Join(c.dir, "nope.csv")); code != 2 {
		t.Errorf("missing file: exit %d", code)
	}
	if _, _, code := c.run("match", "acme"); code != 2 {
		t.Errorf("without --xs-employees: exit %d", code)
	}
	if _, _, code := c.run("match", "nobody", "--xs-employees", emps); code != 2 {
		t.Errorf("unknown profile: exit %d", code)
	}
	if entries, _ := os.ReadDir(filepath.Join(c.dir, "outbox", "acme")); len(entries) != 1 {
		t.Errorf("bad input wrote folders: %d", len(entries))
	}
}

// exportBSNs are the BSNs in the export (the same people's BSNs AFAS has).
func exportBSNs(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, l := range readLines(t, path)[1:] {
		f := strings.Split(l, ";")
		if len(f) > 2 && len(f[2]) == 9 {
			out = append(out, f[2])
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d BSNs in the export", len(out))
	}
	return out
}

func checkNoBSN(t *testing.T, what, text string, bsns []string) {
	t.Helper()
	for _, b := range bsns {
		if strings.Contains(text, b) {
			t.Errorf("%s shows a BSN", what)
			return
		}
	}
}

func matchFolder(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`Link table: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no folder in:\n%s", out)
	}
	return m[1]
}
