package tui

import (
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
)

// The advanced step: empty fields are the defaults and leave the settings out; numbers become
// the profile's guard, history and limits; a value that is no number is named at its field with
// the expected form, and the step is not left.
// advancedWizard opens the wizard of a profile on its advanced step.
func advancedWizard(t *testing.T) *wizard {
	t.Helper()
	f := newFixture(t, afassim.Options{Seed: 3, Employees: 10})
	f.addProfile("acme")
	a := New(t.Context(), f.deps, "")
	keys(t, a, "e")
	w := a.top().(*wizard)
	i, _ := w.stepOf("advanced")
	w.goTo(i)
	return w
}

func TestWizardAdvancedStep(t *testing.T) {
	w := advancedWizard(t)
	if !strings.Contains(w.view(), "Geavanceerd") || !strings.Contains(w.view(), "Runs in historie") {
		t.Fatalf("the advanced step:\n%s", w.view())
	}
	p := w.profile()
	if p.Guard.MaxDeletePercent != nil || p.History.KeepRuns != 0 || p.Limits.MaxAnswerMB != 0 || p.Limits.MaxRows != 0 {
		t.Errorf("empty fields set %+v %+v %+v", p.Guard, p.History, p.Limits)
	}

	typeText(w, "25%")
	drive(w, keyMsg("enter"))
	typeText(w, "50")
	drive(w, keyMsg("enter"))
	typeText(w, "veel")
	drive(w, keyMsg("enter"))
	typeText(w, "8.000.000")
	drive(w, keyMsg("enter")) // the last field: the step's check
	if w.step().code() != "advanced" || !strings.Contains(w.view(), "veel") {
		t.Fatalf("left the step with a wrong answer cap:\n%s", w.view())
	}
	if view := w.view(); !strings.Contains(view, `"veel" is geen geheel getal; bijvoorbeeld 64`) || strings.Contains(view, "-1") {
		t.Errorf("the wrong value is not explained as typed:\n%s", view)
	}
	p = w.profile()
	if p.Guard.MaxDeletePercent == nil || *p.Guard.MaxDeletePercent != 25 || p.History.KeepRuns != 50 || p.Limits.MaxRows != 8_000_000 || p.Limits.MaxAnswerMB != -1 {
		t.Errorf("profile %+v %+v %+v", p.Guard, p.History, p.Limits)
	}

	// Fixed, the step goes on.
	w.step().form().focus = 2
	drive(w, keyMsg("ctrl+u"))
	typeText(w, "128")
	drive(w, keyMsg("enter"))
	drive(w, keyMsg("enter"))
	if w.step().code() == "advanced" {
		t.Fatalf("a right answer cap does not go on:\n%s", w.view())
	}
	if p = w.profile(); p.Limits.MaxAnswerMB != 128 {
		t.Errorf("answer cap %d", p.Limits.MaxAnswerMB)
	}
}

func TestWholeNumber(t *testing.T) {
	for in, want := range map[string]int{"": 0, " ": 0, "12": 12, "5.000.000": 5_000_000, "-3": -3, "tien": -1, "1,5": -1} {
		if got := wholeNumber(in); got != want {
			t.Errorf("wholeNumber(%q) = %d, want %d", in, got, want)
		}
	}
}

// A guard share that is no number is named as typed as soon as the field is left; a number out
// of range keeps the profile's own message with its range.
func TestWizardAdvancedStepNamesTheValueAsTyped(t *testing.T) {
	w := advancedWizard(t)
	typeText(w, "tien%")
	drive(w, keyMsg("enter"))
	if view := w.view(); !strings.Contains(view, `"tien%" is geen getal; bijvoorbeeld 10`) {
		t.Errorf("a guard share that is no number, on leaving the field:\n%s", view)
	}
	typeText(w, "200000")
	drive(w, keyMsg("enter"))
	if view := w.view(); !strings.Contains(view, "200000 ligt buiten 1–100000") {
		t.Errorf("a history out of range:\n%s", view)
	}
}
