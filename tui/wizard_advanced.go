package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/profile"
)

// advancedStep: the settings most customers never change — the deletion guard's share, how
// many runs the history keeps, and the caps on what is read of AFAS. Empty means the default,
// and the step leaves such a setting out of the profile.
type advancedStep struct {
	fm                          form
	guard, keep, answerMB, rows *field
}

func newAdvancedStep(w *wizard, p *profile.Profile) *advancedStep {
	e := w.e
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	guard := ""
	if g := p.Guard.MaxDeletePercent; g != nil {
		guard = strconv.FormatFloat(*g, 'f', -1, 64)
	}
	s := &advancedStep{
		guard:    newTextField(e, "tui.f.adv_guard", guard, "10"),
		keep:     newTextField(e, "tui.f.adv_keep_runs", num(p.History.KeepRuns), "400"),
		answerMB: newTextField(e, "tui.f.adv_max_answer_mb", num(p.Limits.MaxAnswerMB), "64"),
		rows:     newTextField(e, "tui.f.adv_max_rows", num(p.Limits.MaxRows), "5000000"),
	}
	s.guard.keys = []string{"guard.max_delete_percent"}
	s.keep.keys = []string{"history.keep_runs"}
	s.answerMB.keys = []string{"limits.max_answer_mb"}
	s.rows.keys = []string{"limits.max_rows"}
	s.fm.fields = []*field{s.guard, s.keep, s.answerMB, s.rows}
	return s
}

func (s *advancedStep) code() string                            { return "advanced" }
func (s *advancedStep) form() *form                             { return &s.fm }
func (s *advancedStep) skip(*wizard) bool                       { return false }
func (s *advancedStep) keys(*wizard) []key.Binding              { return nil }
func (s *advancedStep) enter(*wizard) tea.Cmd                   { return nil }
func (s *advancedStep) changed(*wizard, *field) tea.Cmd         { return nil }
func (s *advancedStep) handle(*wizard, tea.Msg) (tea.Cmd, bool) { return nil, false }
func (s *advancedStep) view(*wizard) string                     { return "" }

func (s *advancedStep) next(w *wizard) tea.Cmd {
	if w.validate() > 0 {
		return w.firstProblem()
	}
	return w.forward()
}

// checkField names a value that is not a number as the consultant typed it (apply makes it -1,
// which the profile's rules would name instead).
func (s *advancedStep) checkField(w *wizard, f *field) string {
	v := strings.TrimSpace(f.value())
	switch {
	case v == "":
		return ""
	case f == s.guard:
		if _, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(strings.TrimSuffix(v, "%")), ",", "."), 64); err != nil {
			return w.e.t("tui.v.not_number", strconv.Quote(v), f.example)
		}
	case f == s.keep || f == s.answerMB || f == s.rows:
		if wholeNumber(v) == -1 && v != "-1" {
			return w.e.t("tui.v.not_whole_number", strconv.Quote(v), f.example)
		}
	}
	return ""
}

// apply writes the settings; a value that is not a number becomes -1, which the profile's own
// check names at its field with the expected form.
func (s *advancedStep) apply(_ *wizard, p *profile.Profile) {
	p.Guard.MaxDeletePercent = nil
	if v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s.guard.value()), "%")); v != "" {
		g, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", "."), 64)
		if err != nil {
			g = -1
		}
		p.Guard.MaxDeletePercent = &g
	}
	p.History.KeepRuns = wholeNumber(s.keep.value())
	p.Limits.MaxAnswerMB = wholeNumber(s.answerMB.value())
	p.Limits.MaxRows = wholeNumber(s.rows.value())
}

// wholeNumber reads a field's number: 0 when empty (the default), -1 when not a whole number.
func wholeNumber(v string) int {
	v = strings.ReplaceAll(strings.TrimSpace(v), ".", "") // 5.000.000, as Dutch writes it
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}
