package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestDeletionGuardExit3(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "150", "--seed", "9")
	path := c.profile("acme", url, token, "compleet", "")
	c.run("profile", "import", path)
	if _, errOut, code := c.run("run", "acme"); code != 0 {
		t.Fatalf("first run: exit %d %s", code, errOut)
	}
	// The same environment with a third fewer employees: the guard must stop the delivery.
	url2, token2 := c.sim("--employees", "100", "--seed", "9")
	c.profile("acme", url2, token2, "compleet", "")
	c.run("profile", "import", path, "--yes")
	before, _ := os.ReadDir(filepath.Join(c.dir, "outbox", "acme"))
	out, errOut, code := c.run("run", "acme", "--json")
	sum := lastJSON(t, out)
	if code != 3 || sum["status"] != "blocked" || sum["blocked"] == nil {
		t.Fatalf("exit %d, summary %v\n%s", code, sum, errOut)
	}
	after, _ := os.ReadDir(filepath.Join(c.dir, "outbox", "acme"))
	if len(after) != len(before) {
		t.Errorf("a blocked run delivered something")
	}
	out, _, code = c.run("run", "acme", "--json", "--allow-deletes")
	if sum := lastJSON(t, out); code != 0 || sum["status"] != "ok" {
		t.Errorf("--allow-deletes: exit %d %v", code, sum)
	}
	// Through once: the next run has nothing left to delete.
	if _, _, code := c.run("run", "acme"); code != 0 {
		t.Errorf("run after the allowed one: exit %d", code)
	}
}

func TestDryRunListsChangesDeliversNothing(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "40")
	c.run("profile", "import", c.profile("acme", url, token, "mutaties", ""))
	out, _, code := c.run("run", "acme", "--dry-run", "--json")
	sum := lastJSON(t, out)
	if code != 0 || sum["status"] != "ok" || sum["delivery"] != nil && sum["delivery"] != "" {
		t.Fatalf("dry run: exit %d %v", code, sum)
	}
	if n := strings.Count(out, `"event":"change"`); n < 40 {
		t.Errorf("dry run listed %d changes", n)
	}
	if _, err := os.Stat(filepath.Join(c.dir, "outbox")); err == nil {
		t.Errorf("dry run wrote to the outbox")
	}
	// The preview is on record, as a preview, so runs show can explain it.
	out, _, _ = c.run("runs", "acme", "--json")
	var prev map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &prev); err != nil || prev["dry_run"] != true || prev["delivery"] != "" {
		t.Errorf("the preview in the history: %s", out)
	} else if show, _, code := c.run("runs", "show", prev["run"].(string)); code != 0 {
		t.Errorf("runs show of the preview: exit %d %s", code, show)
	}
	// The real run afterwards delivers everything as new: state was not advanced.
	out, _, _ = c.run("run", "acme", "--json")
	emp := lastJSON(t, out)["entities"].(map[string]any)["employments"].(map[string]any)
	if emp["new"].(float64) == 0 || emp["new"] != emp["delivered"] {
		t.Errorf("run after the dry run: %v", emp)
	}
}

func TestGivesUpWithinTheRetryBudget(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "10", "--fault-500", "1")
	c.run("profile", "import", c.profile("acme", url, token, "compleet", ""))
	start := time.Now()
	_, errOut, code := c.run("run", "acme", "--retry-time", "2s")
	if code != 1 || !strings.Contains(errOut, "Koppel_") || !strings.Contains(errOut, "Out of memory") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v with a 2 s retry budget", took)
	}
}

func TestNoTokenNoBSNInOutput(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "120")
	path := c.profile("acme", url, token, "compleet", "")
	var all strings.Builder
	for _, args := range [][]string{
		{"profile", "import", path}, {"profile", "show", "acme"}, {"profile", "list", "--json"}, {"verify", "acme", "--json"},
		{"run", "acme", "--json"}, {"run", "acme"}, {"runs", "acme", "--json"},
	} {
		out, errOut, _ := c.run(args...)
		all.WriteString(out + errOut)
	}
	runs, _, _ := c.run("runs", "acme", "--json")
	id := regexp.MustCompile(`"run":"([^"]+)"`).FindStringSubmatch(runs)[1]
	out, errOut, _ := c.run("runs", "show", id, "--json")
	all.WriteString(out + errOut)
	data := token[strings.Index(token, "<data>")+6 : strings.Index(token, "</data>")]
	if strings.Contains(all.String(), data) || strings.Contains(all.String(), data[:16]) {
		t.Fatal("the token was printed")
	}
	// Every BSN delivered must stay out of what koppel prints.
	files, _ := filepath.Glob(filepath.Join(c.dir, "outbox", "acme", "*", "medewerkers.csv"))
	raw, _ := os.ReadFile(files[0])
	bsns := 0
	for _, line := range strings.Split(string(raw), "\n")[1:] {
		cols := strings.Split(line, ";")
		if len(cols) > 3 && cols[3] != "" {
			bsns++
			if strings.Contains(all.String(), cols[3]) {
				t.Fatalf("BSN %s…%s printed", cols[3][:2], cols[3][7:])
			}
		}
	}
	if bsns < 100 {
		t.Errorf("only %d BSNs delivered; the test would prove little", bsns)
	}
	// The delivered files hold BSNs and salaries: only koppel's account reads them.
	for _, f := range append(files, filepath.Dir(files[0]), filepath.Join(c.dir, "outbox", "acme")) {
		want := os.FileMode(0o600)
		if fi, err := os.Stat(f); err == nil && fi.IsDir() {
			want = 0o700
		}
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v; want %o", f, fi.Mode(), err, want)
		}
	}
	// The store and its key file are private.
	for _, f := range []string{"koppel.db", "koppel.db.key"} {
		fi, err := os.Stat(filepath.Join(c.dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi.Mode(), err)
		}
	}
}
