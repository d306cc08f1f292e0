package tui

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/i18n"
)

// deliver runs the profile once for real, so the store holds a delivery.
func (f *fixture) deliver(name string) *engine.Result {
	f.t.Helper()
	res, err := engine.New(f.st).Run(context.Background(), name, f.deps.Engine, func(engine.Event) {})
	if err != nil || res.Run.Status != engine.StatusOK {
		f.t.Fatalf("run: %v %+v", err, res)
	}
	return res
}

// loaded carries out the poortwachter screen's background read, as the program would.
func loaded(t *testing.T, a *App) *periodsScreen {
	t.Helper()
	s, ok := a.top().(*periodsScreen)
	if !ok {
		t.Fatalf("top screen is %T", a.top())
	}
	for s.busy {
		a.Update(s.wait()())
	}
	return s
}

var clock = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}`)

// The view of the last delivery, from the profile's details: the most urgent holder first,
// the selected holder's milestones below, the next one first and the past ones marked.
func TestPeriodsScreen(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 5, Employees: 120})
	f.addProfile("acme")

	a := New(context.Background(), f.deps, "")
	keys(t, a, "enter", "w")
	s := loaded(t, a)
	if s.v == nil || s.v.Run != "" {
		t.Fatalf("before a delivery: %+v", s.v)
	}
	if view := a.View(); !strings.Contains(view, "acme heeft nog niets geleverd") {
		t.Errorf("before a delivery:\n%s", view)
	}

	res := f.deliver("acme")
	keys(t, a, "esc", "w")
	s = loaded(t, a)
	if s.err != "" || s.v.Run != res.Run.ID || len(s.v.Open) < 3 {
		t.Fatalf("view: %q %+v", s.err, s.v)
	}
	mask := func(v string) string {
		return clock.ReplaceAllString(strings.ReplaceAll(v, res.Run.ID, "RUN"), "JJJJ-MM-DD uu:mm")
	}
	view := mask(a.View())
	golden(t, "periods", view)
	first := s.v.Open[0]
	for _, want := range []string{"Poortwachter — acme", "stand op 2026-11-24", first.Employer + "/" + first.Employee, "» " + first.Milestones[0].Date, "Volgende mijlpaal"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}

	// The cursor picks the holder whose milestones are shown.
	second := s.v.Open[1]
	view = keys(t, a, "down")
	if !strings.Contains(view, "> "+second.Employer+"/"+second.Employee) || !strings.Contains(view, second.Employer+"/"+second.Employee+" · ziek sinds "+second.FirstDay) {
		t.Errorf("after ↓ the second holder is not selected:\n%s", view)
	}
	for _, m := range second.Milestones {
		if m.Past && !strings.Contains(view, "✓ "+m.Date) {
			t.Errorf("past milestone %s not marked:\n%s", m.Code, view)
		}
	}
	keys(t, a, "esc")
	if _, ok := a.top().(*details); !ok {
		t.Errorf("esc went to %T, want the details", a.top())
	}
}

// From a finished run, w opens the view of what that run delivered; esc returns to the run.
func TestPeriodsFromTheRunScreen(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 5, Employees: 120})
	f.addProfile("acme")
	f.deps.Lang = i18n.EN
	tm := f.start("")
	waitFor(t, tm, "acme")
	press(tm, "r")
	waitFor(t, tm, "Done. Delivered in", "w gatekeeper")
	press(tm, "w")
	waitFor(t, tm, "Gatekeeper view — acme", "Next milestone", "sick since")
	press(tm, "esc")
	a := quit(t, tm)
	if _, ok := a.top().(*runScreen); !ok {
		t.Errorf("esc went to %T, want the run screen", a.top())
	}
}
