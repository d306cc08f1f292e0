package tui

import (
	"context"
	"fmt"
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

// leaveAsIs are the keys that walk past a step without changing it, for the steps a flow
// through the UI is not about. A new step adds its row.
var leaveAsIs = map[string][]string{
	"sftp":      {"enter"},          // no URL: no SFTP
	"flex":      {"enter", "enter"}, // off, no employer
	"documents": {"enter", "enter"}, // off, default size (an AFAS without dossier items)
	"match":     {"enter"},          // a new customer: nothing to match
}

// walkPast presses through the steps after step from up to step to (exclusive), leaving
// them as they are, and waits for step to showing wants.
func walkPast(t *testing.T, tm *teatest.TestModel, f *fixture, name, from, to string, wants ...string) {
	t.Helper()
	w := probeWizard(t, f, name)
	i, _ := w.stepOf(from)
	j, _ := w.stepOf(to)
	for _, s := range w.steps[i+1 : j] {
		if s.skip(w) {
			continue
		}
		ks, ok := leaveAsIs[s.code()]
		if !ok {
			t.Fatalf("walkPast: no keys to leave step %q as it is", s.code())
		}
		waitFor(t, tm, stepNo(t, f, name, s.code()))
		press(tm, ks...)
	}
	waitFor(t, tm, append([]string{stepNo(t, f, name, to)}, wants...)...)
}
