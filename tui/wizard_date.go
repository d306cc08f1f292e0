package tui

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/values"
	"github.com/koppel-nl/koppel/sync/verify"
)

// dateStep: date-from, read back in words, with what it leaves out counted at AFAS. A date in a
// wrong form or that does not exist is explained specifically; one far in the past or the future
// is questioned once.
type dateStep struct {
	fm       form
	day      *field
	excluded *excludedMsg
	counting string // the day being counted
	seen     string // the day whose consequences were shown: enter again goes on
}

type excludedMsg struct {
	day                   string
	employments, absences int
	err                   error
}

func newDateStep(w *wizard, p *profile.Profile) *dateStep {
	s := &dateStep{}
	s.day = newTextField(w.e, "tui.f.datefrom", p.DateFrom, "2022-01-31")
	s.day.keys = []string{"date_from"}
	s.fm.fields = []*field{s.day}
	return s
}

func (s *dateStep) code() string               { return "date" }
func (s *dateStep) form() *form                { return &s.fm }
func (s *dateStep) skip(*wizard) bool          { return false }
func (s *dateStep) keys(*wizard) []key.Binding { return nil }
func (s *dateStep) enter(*wizard) tea.Cmd      { return s.fm.focusCmd() }

func (s *dateStep) changed(*wizard, *field) tea.Cmd {
	s.excluded, s.seen = nil, ""
	return nil
}

func (s *dateStep) next(w *wizard) tea.Cmd {
	if w.validate() > 0 {
		if hint := dateProblem(w.e, s.day.value()); hint != "" {
			s.day.err = hint
		}
		return w.firstProblem()
	}
	day := s.day.value()
	if s.seen == day {
		return w.forward()
	}
	s.seen = day
	s.day.warn = dateWarning(w.e, day, w.e.Now())
	if s.excluded != nil && s.excluded.day == day {
		return nil
	}
	return s.count(w, day)
}

// count asks AFAS what the date leaves out, where the connectors for it are there.
func (s *dateStep) count(w *wizard, day string) tea.Cmd {
	p := w.profile()
	for _, role := range []string{connectors.Dienstverbanden, connectors.Verzuim} {
		if role == connectors.Verzuim && !p.Couplings.Verzuim.Enabled {
			continue
		}
		if c, ok := w.judged().Connector(role); !ok || c.Status != verify.OK {
			if s.day.warn == "" {
				return w.forward() // nothing to count with, nothing to question
			}
			return nil
		}
	}
	t, _ := values.ParseDay(day)
	s.counting = day
	w.busy = w.e.t("tui.wizard.counting")
	ctx := w.e.ctx
	return tea.Batch(w.spin.Tick, func() tea.Msg {
		emp, abs, err := verify.Excluded(ctx, p, t)
		return excludedMsg{day, emp, abs, err}
	})
}

func (s *dateStep) handle(w *wizard, msg tea.Msg) (tea.Cmd, bool) {
	m, ok := msg.(excludedMsg)
	if !ok {
		return nil, false
	}
	if m.day == s.counting {
		w.busy, s.counting = "", ""
		if m.err != nil {
			w.err = w.e.errText(m.err)
		} else {
			s.excluded = &m
		}
	}
	return nil, true
}

func (s *dateStep) view(w *wizard) string {
	e := w.e
	day := s.day.value()
	if _, err := values.ParseDay(day); err != nil {
		return ""
	}
	out := "\n" + e.st.subtitle.Render(inWords(e, day)) + "\n"
	if x := s.excluded; x != nil && x.day == day {
		if x.absences >= 0 {
			out += wrap(e.t("tui.wizard.excluded", fmt.Sprint(x.employments), fmt.Sprint(x.absences)), e.width) + "\n"
		} else {
			out += wrap(e.t("tui.wizard.excluded_dv", fmt.Sprint(x.employments)), e.width) + "\n"
		}
	}
	if s.seen == day {
		out += e.st.dim.Render(e.t("tui.wizard.enter_again")) + "\n"
	}
	return out
}

func (s *dateStep) apply(_ *wizard, p *profile.Profile) { p.DateFrom = s.day.value() }

var (
	dayFirst = regexp.MustCompile(`^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$`)
	yearLike = regexp.MustCompile(`^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$`)
)

// dateProblem explains a date that profile.Validate refuses, as specifically as the value
// allows: a day-first date, a month and day swapped, a day the month does not have.
func dateProblem(e *env, s string) string {
	real := func(y, m, d int) bool {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		return m >= 1 && m <= 12 && d >= 1 && t.Day() == d && t.Month() == time.Month(m)
	}
	iso := func(y, m, d int) string { return fmt.Sprintf("%04d-%02d-%02d", y, m, d) }
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	if g := dayFirst.FindStringSubmatch(s); g != nil {
		d, m, y := atoi(g[1]), atoi(g[2]), atoi(g[3])
		if real(y, m, d) {
			return e.t("tui.v.date_dayfirst", s, iso(y, m, d), fmt.Sprintf("%d %s %d", d, e.Lang.Month(m), y))
		}
	}
	if g := yearLike.FindStringSubmatch(s); g != nil {
		y, m, d := atoi(g[1]), atoi(g[2]), atoi(g[3])
		switch {
		case real(y, m, d):
			return e.t("tui.v.date_form", s, iso(y, m, d))
		case m > 12 && real(y, d, m):
			return e.t("tui.v.date_swapped", s, iso(y, d, m), fmt.Sprintf("%d %s %d", m, e.Lang.Month(d), y))
		case m >= 1 && m <= 12 && d >= 1:
			last := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
			return e.t("tui.v.date_nonexistent", fmt.Sprintf("%d %s %d", d, e.Lang.Month(m), y), strconv.Itoa(last))
		}
	}
	return ""
}

// dateWarning questions a date-from far in the past or in the future.
func dateWarning(e *env, s string, now time.Time) string {
	t, err := values.ParseDay(s)
	if err != nil {
		return ""
	}
	switch {
	case t.After(now):
		return e.t("tui.wizard.date_future", inWords(e, s))
	case t.Before(now.AddDate(-10, 0, 0)):
		return e.t("tui.wizard.date_past", inWords(e, s))
	}
	return ""
}
