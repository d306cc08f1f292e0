package tui

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/koppel-nl/koppel/sync/profile"
)

// probeWizard is a wizard as the UI opens it on the fixture's profile name ("": a new account),
// to read its steps.
func probeWizard(t *testing.T, f *fixture, name string) *wizard {
	t.Helper()
	var p *profile.Profile
	if name != "" {
		var err error
		if p, err = f.st.Profile(name); err != nil {
			t.Fatal(err)
		}
	}
	return newWizard(New(context.Background(), f.deps, "").env, p)
}

// stepNo is the step counter the wizard shows on step code ("7/10") when it edits the fixture's
// profile name ("": a new account), so a flow through the UI needs no change when a coupling
// adds a step.
func stepNo(t *testing.T, f *fixture, name, code string) string {
	t.Helper()
	w := probeWizard(t, f, name)
	// Counted as the wizard counts: the steps it shows (a step may skip itself).
	at, shown := 0, 0
	for _, s := range w.steps {
		if s.skip(w) && s.code() != code {
			continue
		}
		shown++
		if s.code() == code {
			at = shown
		}
	}
	if at == 0 {
		t.Fatalf("no wizard step %q", code)
	}
	return fmt.Sprintf("%d/%d", at, shown)
}

// A stage of leaving a step: wait until the screen shows wait, then press keys.
type stage struct {
	wait []string
	keys []string
}

func enters(n int) []string { return slices.Repeat([]string{"enter"}, n) }

// leaveAsIs walks past a step without changing it (on the fixture's profile, or a new account
// whose earlier steps the test filled in), for the steps a flow through the UI is not about.
// enter goes from field to field, and from a step's last field to the next step. A new step
// adds its row.
var leaveAsIs = map[string][]stage{
	"account":    {{keys: enters(4)}},
	"token":      {{keys: enters(1)}},
	"connectors": {{wait: []string{"token geaccepteerd"}, keys: enters(1)}}, // enter waits for the check
	"match":      {{keys: enters(1)}},                                       // a new customer: nothing to match
	"couplings":  {{keys: enters(4)}},
	"salary":     {{keys: enters(2)}},
	"date":       {{keys: enters(1)}, {wait: []string{"beëindigde dienstverbanden"}, keys: enters(1)}},
	"delivery":   {{keys: enters(7)}},
	"sftp":       {{keys: enters(1)}}, // no URL: no SFTP
	"flex":       {{keys: enters(2)}}, // off, no employer
	"documents":  {{keys: enters(2)}}, // off, default size (an AFAS without dossier items)
	"advanced":   {{keys: enters(4)}}, // the defaults
}

// leave walks past step code, waiting first for shown (what tells the step is on screen) and
// the step's own first wait together: a screen already read is not read again.
func leave(t *testing.T, tm *teatest.TestModel, code string, shown ...string) {
	t.Helper()
	stages, ok := leaveAsIs[code]
	if !ok {
		t.Fatalf("no keys to leave step %q as it is", code)
	}
	for i, st := range stages {
		wait := st.wait
		if i == 0 {
			wait = append(slices.Clone(shown), wait...)
		}
		if len(wait) > 0 {
			waitFor(t, tm, wait...)
		}
		for _, k := range st.keys {
			waitIdle(t, tm) // a step checking AFAS ignores enter
			press(tm, k)
		}
	}
}

// walkPast presses through the steps after step from ("": from the first) up to step to
// (exclusive), leaving them as they are, and waits for step to showing wants.
func walkPast(t *testing.T, tm *teatest.TestModel, f *fixture, name, from, to string, wants ...string) {
	t.Helper()
	w := probeWizard(t, f, name)
	i, _ := w.stepOf(from) // -1 for ""
	j, _ := w.stepOf(to)
	for _, s := range w.steps[i+1 : j] {
		if s.skip(w) {
			continue
		}
		leave(t, tm, s.code(), stepNo(t, f, name, s.code()))
	}
	waitFor(t, tm, append([]string{stepNo(t, f, name, to)}, wants...)...)
}
