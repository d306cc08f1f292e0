package tui

import (
	"context"
	"fmt"
	"testing"

	"github.com/charmbracelet/x/exp/teatest"
)

// stepNo is the step counter the wizard shows on step code ("7/10") when it edits the fixture's
// profile name, so a flow through the UI needs no change when a coupling adds a step.
func stepNo(t *testing.T, f *fixture, name, code string) string {
	t.Helper()
	p, err := f.st.Profile(name)
	if err != nil {
		t.Fatal(err)
	}
	w := newWizard(New(context.Background(), f.deps, "").env, p)
	i, _ := w.stepOf(code)
	if i < 0 {
		t.Fatalf("no wizard step %q", code)
	}
	return fmt.Sprintf("%d/%d", i+1, len(w.steps))
}

// leaveAsIs are the keys that walk past a step without changing it, for the steps a flow
// through the UI is not about. A new step adds its row.
var leaveAsIs = map[string][]string{
	"sftp":      {"enter"},          // no URL: no SFTP
	"flex":      {"enter", "enter"}, // off, no employer
	"documents": {"enter"},
}

// walkPast presses through the steps after step from up to step to (exclusive), leaving
// them as they are, and waits for step to showing wants.
func walkPast(t *testing.T, tm *teatest.TestModel, f *fixture, name, from, to string, wants ...string) {
	t.Helper()
	p, err := f.st.Profile(name)
	if err != nil {
		t.Fatal(err)
	}
	w := newWizard(New(context.Background(), f.deps, "").env, p)
	i, _ := w.stepOf(from)
	j, _ := w.stepOf(to)
	for _, s := range w.steps[i+1 : j] {
		ks, ok := leaveAsIs[s.code()]
		if !ok {
			t.Fatalf("walkPast: no keys to leave step %q as it is", s.code())
		}
		waitFor(t, tm, stepNo(t, f, name, s.code()))
		press(tm, ks...)
	}
	waitFor(t, tm, append([]string{stepNo(t, f, name, to)}, wants...)...)
}
