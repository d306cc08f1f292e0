package tui

import (
	"slices"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/verify"
)

// flexStep: AFAS Flex (off by default) and, when on, the employer code every person is
// registered under. Turning it on checks the connectors it adds (Koppel_Plaatsingen) the way
// the connector step checks the others, and the account is a draft while they are missing.
type flexStep struct {
	fm       form
	on       *field
	employer *field
	chk      check
}

// flexCheckMsg carries the flex step's own check messages, so the connector step's check does
// not take them for its own.
type flexCheckMsg struct{ msg tea.Msg }

func newFlexStep(w *wizard, p *profile.Profile) *flexStep {
	e := w.e
	s := &flexStep{}
	s.on = newCheckField(e, "tui.f.flex", p.Flex.Enabled)
	s.on.keys = []string{"flex.enabled"}
	s.employer = newTextField(e, "tui.f.flex_employer", p.Flex.Employer, "UZB")
	s.employer.keys = []string{"flex.employer"}
	s.fm.fields = []*field{s.on, s.employer}
	return s
}

func (s *flexStep) code() string               { return "flex" }
func (s *flexStep) form() *form                { return &s.fm }
func (s *flexStep) skip(*wizard) bool          { return false }
func (s *flexStep) keys(*wizard) []key.Binding { return nil }
func (s *flexStep) enter(w *wizard) tea.Cmd    { return s.checkAdded(w) }

func (s *flexStep) changed(w *wizard, f *field) tea.Cmd {
	if f == s.on {
		return s.checkAdded(w)
	}
	return nil
}

func (s *flexStep) next(w *wizard) tea.Cmd {
	if w.validate() > 0 {
		return w.firstProblem()
	}
	return w.forward()
}

func (s *flexStep) apply(_ *wizard, p *profile.Profile) {
	p.Flex = profile.Flex{Enabled: s.on.check}
	if s.on.check {
		p.Flex.Employer = s.employer.value()
	}
}

// flexOn tells whether the wizard's profile uses AFAS Flex.
func (w *wizard) flexOn() bool {
	_, st := w.stepOf("flex")
	s, ok := st.(*flexStep)
	return ok && s.on.check
}

// selection is what a coupling reads with the wizard's profile switches, for the connector table.
func (w *wizard) selection(couplings ...string) connectors.Selection {
	sel := connectors.SelectionOf(couplings)
	sel.Flex = w.flexOn()
	return sel
}

// checkRoles are the connectors the wizard checks: every one any coupling needs (the
// placements only with flex on: the Flex step checks them when it is switched on).
func (w *wizard) checkRoles() []string {
	var roles []string
	for _, c := range connectors.Needed(w.selection(connectors.CouplingWerknemer, connectors.CouplingVerzuim, connectors.CouplingDocumenten)) {
		roles = append(roles, c.Role)
	}
	return roles
}

// checkAdded checks the connectors the switch adds that the last connector check did not cover.
func (s *flexStep) checkAdded(w *wizard) tea.Cmd {
	if w.report == nil || s.chk.busy {
		return nil
	}
	var missing []string
	for _, role := range w.checkRoles() {
		if _, ok := w.report.Connector(role); !ok {
			missing = append(missing, role)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	p := w.profile()
	p.Couplings.Werknemer.Salary = nil
	return tea.Batch(w.spin.Tick, wrapFlex(s.chk.start(w.e.ctx, p, missing, false)))
}

func wrapFlex(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg { return flexCheckMsg{cmd()} }
}

func (s *flexStep) handle(w *wizard, msg tea.Msg) (tea.Cmd, bool) {
	m, ok := msg.(flexCheckMsg)
	if !ok {
		return nil, false
	}
	cmd, _, finished := s.chk.take(m.msg)
	if !finished {
		return wrapFlex(cmd), true
	}
	if s.chk.err == nil && s.chk.rep != nil && w.report != nil {
		// The added connectors join the connector check, for the verdict and the draft.
		rep := *w.report
		rep.Connectors = slices.Clone(rep.Connectors)
		for _, c := range s.chk.rep.Connectors {
			rep.Connectors = append(rep.Connectors, c)
		}
		w.report = &rep
	}
	return nil, true
}

func (s *flexStep) view(w *wizard) string {
	e := w.e
	if !s.on.check {
		return ""
	}
	switch {
	case s.chk.busy:
		return "\n" + w.spin.View() + " " + e.t("tui.wizard.checking") + "\n" + s.chk.progressView(e, w.spin)
	case s.chk.err != nil:
		return "\n" + e.st.err.Render(wrap(e.errText(s.chk.err), e.width)) + "\n"
	case w.report == nil:
		return ""
	}
	out := "\n"
	for _, role := range addedByFlex() {
		if c, ok := w.report.Connector(role); ok {
			out += connectorLine(e, c) + "\n"
			if c.Status != verify.OK {
				out += e.st.warn.Render(wrap(e.t("tui.wizard.flex_missing", c.ID, definitionsFile(e)), e.width)) + "\n"
			}
		}
	}
	return out
}

// addedByFlex are the connectors the flex switch adds to what the couplings read.
func addedByFlex() []string {
	all := connectors.Selection{Werknemer: true, Verzuim: true}
	var base []string
	for _, c := range connectors.Needed(all) {
		base = append(base, c.Role)
	}
	all.Flex = true
	var added []string
	for _, c := range connectors.Needed(all) {
		if !slices.Contains(base, c.Role) {
			added = append(added, c.Role)
		}
	}
	return added
}
