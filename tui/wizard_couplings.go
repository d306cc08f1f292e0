package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/profile"
)

// couplingsStep: AFAS Werknemer (with manager accounts and their user group) and AFAS Verzuim.
// A coupling whose connectors are not (yet) there can still be chosen: the account is then a
// draft until they are.
type couplingsStep struct {
	fm                                 form
	werknemerF, managers, group, verzF *field
}

func newCouplingsStep(w *wizard, p *profile.Profile) *couplingsStep {
	e := w.e
	s := &couplingsStep{}
	s.werknemerF = newCheckField(e, "tui.f.werknemer", p.Couplings.Werknemer.Enabled)
	s.werknemerF.keys = []string{"couplings"}
	s.managers = newCheckField(e, "tui.f.managers", p.Couplings.Werknemer.Managers)
	s.group = newTextField(e, "tui.f.usergroup", p.Couplings.Werknemer.UserGroup, "Leidinggevenden")
	s.group.keys = []string{"couplings.werknemer.user_group"}
	s.verzF = newCheckField(e, "tui.f.verzuim", p.Couplings.Verzuim.Enabled)
	s.verzF.keys = []string{"couplings.verzuim."}
	s.fm.fields = []*field{s.werknemerF, s.managers, s.group, s.verzF}
	return s
}

func (s *couplingsStep) code() string                            { return "couplings" }
func (s *couplingsStep) form() *form                             { return &s.fm }
func (s *couplingsStep) skip(*wizard) bool                       { return false }
func (s *couplingsStep) keys(*wizard) []key.Binding              { return nil }
func (s *couplingsStep) werknemer() bool                         { return s.werknemerF.check }
func (s *couplingsStep) handle(*wizard, tea.Msg) (tea.Cmd, bool) { return nil, false }

func (s *couplingsStep) enter(w *wizard) tea.Cmd {
	s.hints(w)
	return nil
}

func (s *couplingsStep) changed(w *wizard, _ *field) tea.Cmd {
	s.hints(w)
	return nil
}

// hints says, at each coupling, what it lacks at AFAS.
func (s *couplingsStep) hints(w *wizard) {
	e := w.e
	for _, c := range []struct {
		f    *field
		name string
	}{{s.werknemerF, profile.CouplingWerknemer}, {s.verzF, profile.CouplingVerzuim}} {
		c.f.hint, c.f.warn = "", ""
		if reason := w.unavailable(c.name); reason != "" {
			c.f.hint = e.t("tui.wizard.not_yet")
			if c.f.check {
				c.f.warn = e.t("tui.wizard.unavailable", reason)
			}
		}
	}
}

func (s *couplingsStep) next(w *wizard) tea.Cmd {
	if w.validate() > 0 {
		return w.firstProblem()
	}
	return w.forward()
}

func (s *couplingsStep) view(w *wizard) string {
	e := w.e
	if w.draft() {
		return "\n" + e.st.warn.Render(wrap(e.t("tui.wizard.draft_ahead", definitionsFile(e)), e.width)) + "\n"
	}
	return ""
}

func (s *couplingsStep) apply(_ *wizard, p *profile.Profile) {
	p.Couplings.Werknemer.Enabled = s.werknemerF.check
	p.Couplings.Werknemer.Managers = s.werknemerF.check && s.managers.check
	p.Couplings.Werknemer.UserGroup = s.group.value()
	p.Couplings.Verzuim.Enabled = s.verzF.check
}
