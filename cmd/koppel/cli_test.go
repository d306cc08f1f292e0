package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/connectors"
)

// These tests build the real binary and run it as a consultant or a scheduler would.

var koppelBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "koppel-bin")
	if err != nil {
		panic(err)
	}
	koppelBin = filepath.Join(dir, "koppel")
	if out, err := exec.Command("go", "build", "-tags", "koppeltest", "-o", koppelBin, ".").CombinedOutput(); err != nil {
		panic(fmt.Sprintf("build: %v\n%s", err, out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type cli struct {
	t   *testing.T
	dir string
	env []string
}

func newCLI(t *testing.T) *cli {
	dir := t.TempDir()
	return &cli{t: t, dir: dir, env: append(os.Environ(), "KOPPEL_DB="+filepath.Join(dir, "koppel.db"), "KOPPEL_LANG=", "KOPPEL_KEY=")}
}

// run runs koppel and returns stdout, stderr and the exit code.
func (c *cli) run(args ...string) (string, string, int) {
	c.t.Helper()
	cmd := exec.Command(koppelBin, args...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// sim starts `koppel afas-sim` and returns its SOAP URL and token.
func (c *cli) sim(args ...string) (url, token string) {
	c.t.Helper()
	cmd := exec.Command(koppelBin, append([]string{"afas-sim"}, args...)...)
	cmd.Env = c.env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	var base string
	for i := 0; i < 3 && sc.Scan(); i++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "listening on "):
			base = strings.TrimPrefix(line, "listening on ")
			if i != 0 {
				c.t.Errorf("'listening on' is line %d", i+1)
			}
		case strings.HasPrefix(line, "token "):
			token = strings.TrimPrefix(line, "token ")
		}
	}
	if base == "" || token == "" {
		c.t.Fatalf("afas-sim did not print its address and token")
	}
	return base + "/ProfitServices/AppConnectorGet.asmx", token
}

func (c *cli) profile(name, url, token, mode string, extra string) string {
	c.t.Helper()
	yaml := fmt.Sprintf(`name: %s
account:
  name: Acme Zorg BV
  participant: "12345"
  environment: production
  url: %s
  token: "%s"
employer: ZBV
couplings:
  werknemer:
    enabled: true
    managers: true
    user_group: Leidinggevenden
    salary:
      column: Bruto_maandloon
      kind: maandloon
  verzuim:
    enabled: true
    classifications: {}
date_from: 2024-01-31
delivery:
  outbox: ./outbox
  mode: %s
%s`, name, url, token, mode, extra)
	path := filepath.Join(c.dir, name+".yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return path
}

func lastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last line is not JSON: %q", lines[len(lines)-1])
	}
	return m
}

func TestHeadlessCoupling(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "150", "--seed", "4")
	path := c.profile("acme", url, token, "compleet", "")
	if out, errOut, code := c.run("profile", "import", path); code != 0 || strings.Contains(out+errOut, token) {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	if out, _, code := c.run("profile", "show", "acme"); code != 0 || strings.Contains(out, token[30:60]) || !strings.Contains(out, "…") {
		t.Errorf("show must mask the token: exit %d\n%s", code, out)
	}
	if out, errOut, code := c.run("verify", "acme"); code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code := c.run("run", "acme", "--json")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s", code, errOut)
	}
	sum := lastJSON(t, out)
	if sum["event"] != "summary" || sum["status"] != "ok" || sum["profile"] != "acme" || sum["mode"] != "compleet" {
		t.Fatalf("summary %v", sum)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev["event"] == nil {
			t.Fatalf("not a JSON event line: %q", line)
		}
	}
	ents := sum["entities"].(map[string]any)
	for _, e := range []string{"departments", "employees", "employments", "absences", "users"} {
		counts, ok := ents[e].(map[string]any)
		if !ok {
			t.Fatalf("summary lacks %s", e)
		}
		for _, k := range []string{"fetched", "delivered", "rejected", "new", "changed", "unchanged", "deleted"} {
			if _, ok := counts[k]; !ok {
				t.Errorf("%s lacks %s", e, k)
			}
		}
	}
	dir := sum["delivery"].(string)
	for _, f := range []string{"afdelingen.csv", "medewerkers.csv", "verzuim.csv", "gebruikers.csv", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	// History.
	out, _, code = c.run("runs", "acme", "--json")
	if code != 0 || !strings.Contains(out, `"status":"ok"`) || !strings.Contains(out, sum["run"].(string)) {
		t.Errorf("runs: exit %d\n%s", code, out)
	}
	out, _, code = c.run("runs", "show", sum["run"].(string), "--level", "Uitval", "--lang", "en")
	if code != 0 || !strings.Contains(out, "Rejected") {
		t.Errorf("runs show: exit %d\n%s", code, out)
	}

	// Nothing changed, mode mutaties: header-only files, except verzuim.csv, always complete.
	c.profile("acme", url, token, "mutaties", "")
	if _, errOut, code := c.run("profile", "import", path); code != 2 || !strings.Contains(errOut, "--yes") {
		t.Errorf("import over an existing profile without a terminal: exit %d %s; want 2 asking for --yes", code, errOut)
	}
	c.run("profile", "import", path, "--yes")
	out, _, code = c.run("run", "acme", "--json")
	sum = lastJSON(t, out)
	if code != 0 || sum["status"] != "ok" {
		t.Fatalf("second run: exit %d %v", code, sum)
	}
	for _, f := range []string{"afdelingen.csv", "medewerkers.csv", "gebruikers.csv"} {
		raw, _ := os.ReadFile(filepath.Join(sum["delivery"].(string), f))
		if n := strings.Count(string(raw), "\n"); n != 1 || !strings.HasPrefix(string(raw), "Mutatie;") {
			t.Errorf("%s: %d lines, want only the header", f, n)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(sum["delivery"].(string), "verzuim.csv"))
	if n := strings.Count(string(raw), "\n"); n < 20 || strings.HasPrefix(string(raw), "Mutatie;") {
		t.Errorf("verzuim.csv: %d lines; want the complete file without a Mutatie column", n)
	}
}

func TestExitCodes(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "30", "--omit", "Koppel_Verzuim")
	if _, _, code := c.run("run", "nobody"); code != 2 {
		t.Errorf("unknown profile: exit %d, want 2", code)
	}
	if _, _, code := c.run("frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if _, _, code := c.run("run", "acme", "--bogus"); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
	bad := c.profile("acme", url, token, "compleet", "")
	src, _ := os.ReadFile(bad)
	os.WriteFile(bad, bytes.Replace(src, []byte("date_from: 2024-01-31"), []byte("date_from: 2024-31-01"), 1), 0o600)
	_, errOut, code := c.run("profile", "import", bad)
	if code != 2 || !strings.Contains(errOut, "date_from") || !strings.Contains(errOut, "JJJJ-MM-DD") {
		t.Errorf("bad date: exit %d: %s", code, errOut)
	}
	if out, _, _ := c.run("profile", "list"); strings.Contains(out, "acme") {
		t.Errorf("a rejected profile was stored")
	}
	path := c.profile("acme", url, token, "compleet", "")
	c.run("profile", "import", path)
	out, _, code := c.run("verify", "acme", "--json")
	if code != 1 || !strings.Contains(out, `"status":"missing"`) {
		t.Errorf("verify with a missing connector: exit %d\n%s", code, out)
	}
	_, errOut, code = c.run("run", "acme")
	if code != 1 || !strings.Contains(errOut, "Koppel_Verzuim") {
		t.Errorf("run with a missing connector: exit %d: %s", code, errOut)
	}
	if _, _, code := c.run("run", "acme", "--coupling", "werknemer", "--json"); code != 0 {
		t.Errorf("werknemer only: exit %d", code)
	}
}

func TestVerifyNamesFieldsBeyondWhitelist(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "20", "--extra", "Koppel_Verzuim.Reden_verzuim", "--drop", "Koppel_Medewerkers.Roepnaam")
	c.run("profile", "import", c.profile("acme", url, token, "compleet", ""))
	out, _, code := c.run("verify", "acme")
	if code != 1 || !strings.Contains(out, "Reden_verzuim") || !strings.Contains(out, "Roepnaam") {
		t.Errorf("verify: exit %d\n%s", code, out)
	}
}

func TestBadTokenIsExplained(t *testing.T) {
	c := newCLI(t)
	url, _ := c.sim("--employees", "5")
	c.run("profile", "import", c.profile("acme", url, strings.Repeat("0", 64), "compleet", ""))
	out, _, code := c.run("verify", "acme", "--lang", "en")
	if code != 1 || !strings.Contains(out, "refused") || strings.Contains(out, strings.Repeat("0", 20)) {
		t.Errorf("verify with a wrong token: exit %d\n%s", code, out)
	}
}

func TestConnectorsDocumentsTheSpec(t *testing.T) {
	c := newCLI(t)
	out, _, code := c.run("connectors")
	for _, want := range []string{"Koppel_Organisatie", "Koppel_Medewerkers", "Koppel_Dienstverbanden", "Koppel_Verzuim", "Percentage_aanwezig", "Naamgebruik", "Koppel_Plaatsingen", "Opdrachtgever_code"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("connectors lacks %s", want)
		}
	}
	out, _, _ = c.run("connectors", "--json")
	var v []map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v) != len(connectors.Standard()) {
		t.Errorf("connectors --json: %v", err)
	}
}

func TestVerzuimOnlyProfileRuns(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "80", "--seed", "6")
	full := c.profile("full", url, token, "mutaties", "")
	raw, _ := os.ReadFile(full)
	only := strings.Replace(strings.Replace(string(raw), "name: full", "name: alleen", 1), "  werknemer:\n    enabled: true\n    managers: true", "  werknemer:\n    enabled: false\n    managers: false", 1)
	onlyPath := filepath.Join(c.dir, "alleen.yaml")
	if err := os.WriteFile(onlyPath, []byte(only), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{full, onlyPath} {
		if out, errOut, code := c.run("profile", "import", p); code != 0 {
			t.Fatalf("import %s: exit %d\n%s%s", p, code, out, errOut)
		}
	}
	if out, errOut, code := c.run("verify", "alleen"); code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}
	runs := map[string][]string{"alleen": {"run", "alleen", "--json"}, "full --coupling verzuim": {"run", "full", "--coupling", "verzuim", "--json"}}
	var files []string
	for name, args := range runs {
		out, errOut, code := c.run(args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", name, code, errOut)
		}
		sum := lastJSON(t, out)
		if sum["status"] != "ok" {
			t.Fatalf("%s: %v", name, sum)
		}
		abs := sum["entities"].(map[string]any)["absences"].(map[string]any)
		if abs["delivered"].(float64) < 20 || abs["rejected"].(float64) > abs["delivered"].(float64)/4 {
			t.Errorf("%s: absences %v", name, abs)
		}
		data, err := os.ReadFile(filepath.Join(sum["delivery"].(string), "verzuim.csv"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, string(data))
	}
	if files[0] != files[1] {
		t.Errorf("a verzuim-only profile and --coupling verzuim deliver different absences")
	}
}
