package tui

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/token"
)

// tokenStep: the AFAS token, masked unless the consultant shows it to check a character.
type tokenStep struct {
	fm   form
	tok  *field
	show bool
}

func newTokenStep(w *wizard, p *profile.Profile) *tokenStep {
	s := &tokenStep{}
	s.tok = newTextField(w.e, "tui.f.token", p.Account.Token, "")
	s.tok.keys = []string{"account.token", "account.token_env"}
	s.tok.input.EchoMode = textinput.EchoPassword
	s.tok.input.EchoCharacter = '•'
	s.fm.fields = []*field{s.tok}
	return s
}

func (s *tokenStep) code() string                    { return "token" }
func (s *tokenStep) form() *form                     { return &s.fm }
func (s *tokenStep) skip(*wizard) bool               { return false }
func (s *tokenStep) enter(*wizard) tea.Cmd           { return s.fm.focusCmd() }
func (s *tokenStep) changed(*wizard, *field) tea.Cmd { return nil }

func (s *tokenStep) next(w *wizard) tea.Cmd {
	if w.validate() > 0 {
		return w.firstProblem()
	}
	// The live check runs on the next step, a line per connector.
	return w.forward()
}

func (s *tokenStep) handle(w *wizard, msg tea.Msg) (tea.Cmd, bool) {
	if m, ok := msg.(tea.KeyMsg); ok && key.Matches(m, w.e.km.ShowToken) {
		s.show = !s.show
		s.tok.input.EchoMode = textinput.EchoPassword
		if s.show {
			s.tok.input.EchoMode = textinput.EchoNormal
		}
		return nil, true
	}
	return nil, false
}

func (s *tokenStep) keys(w *wizard) []key.Binding {
	b := w.e.km.ShowToken
	if s.show {
		b.SetHelp(b.Help().Key, w.e.t("tui.key.hide_token"))
	}
	return []key.Binding{b}
}

func (s *tokenStep) view(w *wizard) string {
	e := w.e
	_, form, err := token.NormalizeToken(s.tok.value())
	switch {
	case s.tok.value() == "":
		return ""
	case err != nil:
		return "\n" + e.st.dim.Render(wrap(e.t("tui.wizard.token_unknown", itoa(len([]rune(s.tok.value())))), e.width)) + "\n"
	case form == token.TokenXML:
		return "\n" + e.st.ok.Render(e.t("tui.wizard.token_xml")) + "\n"
	}
	return "\n" + e.st.ok.Render(e.t("tui.wizard.token_data")) + "\n"
}

func (s *tokenStep) apply(_ *wizard, p *profile.Profile) {
	p.Account.Token = s.tok.value()
	p.Account.TokenEnv = ""
}
