package tui

import (
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/verify"
)

var salaryKinds = []string{"maandloon", "vierwekenloon", "svloon"}

// salaryStep: the optional salary column of Koppel_Dienstverbanden, chosen from the fields AFAS
// has beyond the whitelist, with a preview of its first values.
type salaryStep struct {
	fm           form
	column, kind *field
	preview      []string
	previewErr   string
	reading      string // the column being read
}

type previewMsg struct {
	column string
	vals   []string
	err    error
}

func newSalaryStep(w *wizard, p *profile.Profile) *salaryStep {
	e := w.e
	s := &salaryStep{}
	col, kind := "", "maandloon"
	if sal := p.Couplings.Werknemer.Salary; sal != nil {
		col, kind = sal.Column, sal.Kind
	}
	s.column = newChoiceField(e, "tui.f.salary_column", []string{""}, []string{e.t("tui.wizard.no_salary")}, "")
	s.column.keys = []string{"couplings.werknemer.salary.column"}
	if col != "" {
		s.column.values = append(s.column.values, col)
		s.column.labels = append(s.column.labels, col)
		s.column.choice = 1
	}
	s.kind = newChoiceField(e, "tui.f.salary_kind", salaryKinds, []string{profile.SalaryKindLabel("maandloon"), profile.SalaryKindLabel("vierwekenloon"), profile.SalaryKindLabel("svloon")}, kind)
	s.kind.keys = []string{"couplings.werknemer.salary.kind"}
	s.fm.fields = []*field{s.column, s.kind}
	return s
}

func (s *salaryStep) code() string               { return "salary" }
func (s *salaryStep) form() *form                { return &s.fm }
func (s *salaryStep) skip(w *wizard) bool        { return !stepAs[*couplingsStep](w).werknemer() }
func (s *salaryStep) keys(*wizard) []key.Binding { return nil }

// offer puts the candidates of the last check among the choices, keeping the one chosen.
func (s *salaryStep) offer(w *wizard) {
	cur := s.column.value()
	vals, labels := []string{""}, []string{w.e.t("tui.wizard.no_salary")}
	for _, c := range s.candidates(w) {
		vals, labels = append(vals, c), append(labels, c)
	}
	if cur != "" && !slices.Contains(vals, cur) {
		vals, labels = append(vals, cur), append(labels, cur)
	}
	s.column.values, s.column.labels, s.column.choice = vals, labels, 0
	s.column.set(cur)
}

// candidates are the fields of Koppel_Dienstverbanden beyond the whitelist.
func (s *salaryStep) candidates(w *wizard) []string {
	if w.report == nil {
		return nil
	}
	c, _ := w.report.Connector(connectors.Dienstverbanden)
	return c.ExtraFields
}

func (s *salaryStep) enter(w *wizard) tea.Cmd { return s.read(w) }

func (s *salaryStep) changed(w *wizard, f *field) tea.Cmd {
	if f == s.column {
		return s.read(w)
	}
	return nil
}

// read previews the chosen column's first values.
func (s *salaryStep) read(w *wizard) tea.Cmd {
	col := s.column.value()
	s.preview, s.previewErr, s.reading = nil, "", ""
	c, _ := w.judged().Connector(connectors.Dienstverbanden)
	if col == "" || w.report == nil || c.Status != verify.OK {
		return nil
	}
	s.reading = col
	w.busy = w.e.t("tui.wizard.reading")
	p := w.profile()
	ctx := w.e.ctx
	return tea.Batch(w.spin.Tick, func() tea.Msg {
		vals, err := verify.SalaryPreview(ctx, p, col, 5)
		return previewMsg{col, vals, err}
	})
}

func (s *salaryStep) handle(w *wizard, msg tea.Msg) (tea.Cmd, bool) {
	m, ok := msg.(previewMsg)
	if !ok {
		return nil, false
	}
	if m.column == s.reading {
		w.busy, s.reading = "", ""
		s.preview = m.vals
		if m.err != nil {
			s.previewErr = w.e.errText(m.err)
		}
	}
	return nil, true
}

func (s *salaryStep) next(w *wizard) tea.Cmd {
	if w.validate() > 0 {
		return w.firstProblem()
	}
	return w.forward()
}

func (s *salaryStep) view(w *wizard) string {
	e := w.e
	var b strings.Builder
	if w.report != nil && len(s.candidates(w)) == 0 {
		b.WriteString("\n" + e.st.dim.Render(wrap(e.t("tui.wizard.no_candidates"), e.width)) + "\n")
	}
	c, _ := w.judged().Connector(connectors.Dienstverbanden)
	if col := s.column.value(); col != "" && w.report != nil {
		b.WriteString("\n" + connectorLine(e, c) + "\n")
		if len(c.ExtraFields) > 0 {
			b.WriteString(e.st.warn.Render(wrap(e.t("tui.wizard.salary_extra", strings.Join(c.ExtraFields, ", ")), e.width)) + "\n")
		}
	}
	if len(s.preview) > 0 {
		b.WriteString("\n" + e.t("tui.wizard.preview") + "\n  " + strings.Join(s.preview, "\n  ") + "\n")
	}
	if s.previewErr != "" {
		b.WriteString("\n" + e.st.err.Render(wrap(s.previewErr, e.width)) + "\n")
	}
	return b.String()
}

func (s *salaryStep) apply(_ *wizard, p *profile.Profile) {
	p.Couplings.Werknemer.Salary = nil
	if col := s.column.value(); col != "" {
		p.Couplings.Werknemer.Salary = &profile.Salary{Column: col, Kind: s.kind.value()}
	}
}
