package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/afassim/afassimtest"
)

// TestKilledRunsLeaveNothingHalfDone kills the real binary with SIGKILL at several moments of a
// run. Whatever the moment, nothing incomplete is visible, and the next run cleans up and
// delivers exactly what a clean run would.
func TestKilledRunsLeaveNothingHalfDone(t *testing.T) {
	sim, url := afassimtest.Start(t, afassim.Options{Seed: 21, Employees: 4000})

	// What a clean first run delivers.
	ref := newCLI(t)
	ref.run("profile", "import", ref.profile("acme", url, sim.Token(), "mutaties", ""))
	out, errOut, code := ref.run("run", "acme", "--json", "--page-size", "250")
	if code != 0 {
		t.Fatalf("reference run: exit %d %s", code, errOut)
	}
	refDir := lastJSON(t, out)["delivery"].(string)

	moments := []string{`"event":"progress"`, `"event":"counts"`, `"stage":"compare"`, `"stage":"deliver"`, `"stage":"commit"`}
	for _, moment := range moments {
		t.Run(strings.Trim(strings.SplitN(moment, ":", 2)[1], `"`), func(t *testing.T) {
			c := newCLI(t)
			c.run("profile", "import", c.profile("acme", url, sim.Token(), "mutaties", ""))
			cmd := exec.Command(koppelBin, "run", "acme", "--json", "--page-size", "250")
			cmd.Dir, cmd.Env = c.dir, c.env
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stdout)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			killed := false
			for sc.Scan() {
				if strings.Contains(sc.Text(), moment) {
					_ = cmd.Process.Kill()
					killed = true
					break
				}
			}
			_ = cmd.Wait()
			if !killed {
				t.Fatalf("the run ended before %s", moment)
			}

			outbox := filepath.Join(c.dir, "outbox", "acme")
			runsOut, _, _ := c.run("runs", "acme", "--json")
			committed := strings.Contains(runsOut, `"status":"ok"`)
			t.Logf("after the kill: %v, committed %v", entries(t, outbox), committed)
			for _, name := range visible(t, outbox) {
				// Anything visible is complete: it has its manifest and belongs to a committed run.
				if _, err := os.Stat(filepath.Join(outbox, name, "manifest.json")); err != nil || !strings.Contains(runsOut, name) {
					t.Errorf("incomplete or unrecorded delivery visible: %s", name)
				}
			}
			if !committed && strings.TrimSpace(runsOut) != "" {
				t.Errorf("a killed run left a record: %s", runsOut)
			}

			out, errOut, code := c.run("run", "acme", "--json", "--page-size", "250")
			if code != 0 {
				t.Fatalf("run after the kill: exit %d %s", code, errOut)
			}
			dir := lastJSON(t, out)["delivery"].(string)
			for _, e := range entries(t, outbox) {
				if strings.HasPrefix(e, ".") {
					t.Errorf("leftover %s after the next run", e)
				}
			}
			for _, f := range []string{"afdelingen.csv", "medewerkers.csv", "gebruikers.csv", "verzuim.csv"} {
				got, _ := os.ReadFile(filepath.Join(dir, f))
				if committed && f != "verzuim.csv" { // verzuim.csv is complete in every delivery
					// The killed run had delivered: this run has nothing new to say.
					if bytes.Count(got, []byte("\n")) != 1 {
						t.Errorf("%s: changes delivered twice", f)
					}
					continue
				}
				want, _ := os.ReadFile(filepath.Join(refDir, f))
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from a clean run's", f)
				}
			}
			if committed {
				// The committed delivery is complete and visible now.
				var r struct{ Delivery string }
				_ = json.Unmarshal([]byte(strings.Split(strings.TrimSpace(runsOut), "\n")[0]), &r)
				if _, err := os.Stat(filepath.Join(r.Delivery, "manifest.json")); err != nil {
					t.Errorf("committed delivery not completed: %v", err)
				}
			}
		})
	}
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func visible(t *testing.T, dir string) []string {
	var out []string
	for _, n := range entries(t, dir) {
		if !strings.HasPrefix(n, ".") {
			out = append(out, n)
		}
	}
	return out
}
