package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// A consultancy runs dozens of customers from one host, from a scheduler, while a consultant
// has the TUI open: one store, many processes.

func TestRunsOfDifferentProfilesShareTheStore(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "60", "--latency", "150ms")
	names := []string{"een", "twee", "drie", "vier"}
	for _, n := range names {
		if out, errOut, code := c.run("profile", "import", c.profile(n, url, token, "compleet", "")); code != 0 {
			t.Fatalf("import %s: exit %d %s%s", n, code, out, errOut)
		}
	}
	// The TUI is open on the same store the whole time.
	term := startTerminal(t, c)
	term.waitFor("vier")

	type result struct {
		name    string
		code    int
		stderr  string
		summary map[string]any
	}
	results := make(chan result, len(names))
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, errOut, code := c.run("run", n, "--json")
			var sum map[string]any
			lines := strings.Split(strings.TrimSpace(out), "\n")
			_ = json.Unmarshal([]byte(lines[len(lines)-1]), &sum)
			results <- result{n, code, errOut, sum}
		}()
	}
	wg.Wait()
	close(results)
	var spans [][2]time.Time
	for r := range results {
		if r.code != 0 || r.summary["status"] != "ok" {
			t.Fatalf("%s: exit %d %v\n%s", r.name, r.code, r.summary, r.stderr)
		}
	}
	// They ran side by side, not one after another: every run overlaps every other.
	out, _, _ := c.run("runs", "--json")
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r struct {
			Started, Finished time.Time
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err == nil {
			spans = append(spans, [2]time.Time{r.Started, r.Finished})
		}
	}
	if len(spans) != 4 {
		t.Fatalf("%d runs in the history: %s", len(spans), out)
	}
	for i := range spans {
		for j := range spans {
			if i != j && (spans[i][1].Before(spans[j][0]) || spans[j][1].Before(spans[i][0])) {
				t.Errorf("runs %d and %d did not overlap: %v %v", i, j, spans[i], spans[j])
			}
		}
	}
	// Back on the home screen (from a profile's history), the TUI shows the runs made elsewhere.
	term.press("h")
	term.waitFor("Historie van")
	term.press("\x1b")
	term.waitForAny(" ok        53 dv", "Dienstverbanden 53")
}

func TestSecondRunOfOneProfileIsRefused(t *testing.T) {
	c := newCLI(t)
	url, token := c.sim("--employees", "60", "--latency", "400ms")
	if out, errOut, code := c.run("profile", "import", c.profile("acme", url, token, "compleet", "")); code != 0 {
		t.Fatalf("import: exit %d %s%s", code, out, errOut)
	}
	first := exec.Command(koppelBin, "run", "acme", "--json")
	first.Dir, first.Env = c.dir, c.env
	stdout, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the first run is reading AFAS: it holds the profile then.
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && !strings.Contains(sc.Text(), `"progress"`) {
	}
	for _, lang := range []string{"nl", "en"} {
		out, errOut, code := c.run("run", "acme", "--json", "--lang", lang)
		if code != 1 {
			t.Fatalf("%s: second run exit %d; want 1\n%s%s", lang, code, out, errOut)
		}
		pid := fmt.Sprint(first.Process.Pid)
		want := map[string]string{"nl": "wordt al gebruikt door koppel-proces " + pid, "en": "is in use by koppel process " + pid}[lang]
		if !strings.Contains(errOut, want) {
			t.Errorf("%s: stderr %q; want it to name process %s", lang, errOut, pid)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		var last map[string]any
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last["event"] != "error" || !strings.Contains(fmt.Sprint(last["error"]), pid) {
			t.Errorf("%s: last JSON line %q; want an error object", lang, lines[len(lines)-1])
		}
	}
	for sc.Scan() {
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("the first run failed: %v\n%s", err, firstErr.String())
	}
}
