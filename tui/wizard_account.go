package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/profile"
)

// soapPath is where AFAS serves the GetConnectors on any host.
const soapPath = "/ProfitServices/AppConnectorGet.asmx"

var environments = []string{"production", "test", "accept"}

// accountStep: profile name, customer account, participant number, environment and, under
// "Geavanceerd", a URL of its own.
type accountStep struct {
	fm                               form
	name, account, participant, envF *field
	url                              *field
	derived                          string // the URL the GetConnectors are asked at
}

func newAccountStep(w *wizard, p *profile.Profile) *accountStep {
	e := w.e
	s := &accountStep{}
	s.name = newTextField(e, "tui.f.name", p.Name, "acme-zorg")
	s.name.keys = []string{"name"}
	if w.editing != nil {
		s.name.locked = e.t("tui.wizard.name_locked")
	}
	s.account = newTextField(e, "tui.f.account", p.Account.Name, "Acme Zorg BV")
	s.account.keys = []string{"account.name"}
	s.participant = newTextField(e, "tui.f.participant", p.Account.Participant, "12345")
	s.participant.keys = []string{"account.participant"}
	s.envF = newChoiceField(e, "tui.f.environment", environments, []string{e.t("tui.env.production"), e.t("tui.env.test"), e.t("tui.env.accept")}, p.Account.Environment)
	s.envF.keys = []string{"account.environment"}
	s.url = newTextField(e, "tui.f.url_advanced", p.Account.URL, "")
	s.url.input.Placeholder = e.t("tui.wizard.url_placeholder")
	s.url.keys = []string{"account.url"}
	s.fm.fields = []*field{s.name, s.account, s.participant, s.envF, s.url}
	s.hints(w)
	return s
}

func (s *accountStep) code() string { return "account" }
func (s *accountStep) form() *form  { return &s.fm }
func (s *accountStep) skip(*wizard) bool {
	return false
}

func (s *accountStep) enter(w *wizard) tea.Cmd {
	if w.editing != nil && s.fm.focus == 0 {
		s.fm.focus = 1
	}
	return s.fm.focusCmd()
}

func (s *accountStep) next(w *wizard) tea.Cmd {
	n := w.validate()
	if w.editing == nil && s.name.err == "" {
		if _, err := w.e.Store.Profile(s.name.value()); err == nil {
			s.name.err = w.e.t("tui.v.name_taken", s.name.value())
			n++
		}
	}
	if n > 0 {
		return w.firstProblem()
	}
	return w.forward()
}

func (s *accountStep) handle(*wizard, tea.Msg) (tea.Cmd, bool) { return nil, false }

func (s *accountStep) changed(w *wizard, _ *field) tea.Cmd {
	s.hints(w)
	return nil
}

// hints shows where the GetConnectors will be asked for.
func (s *accountStep) hints(w *wizard) {
	p := &profile.Profile{Account: profile.Account{Participant: s.participant.value(), Environment: s.envF.value(), URL: soapURL(s.url.value())}}
	s.derived = ""
	if s.participant.value() != "" || s.url.value() != "" {
		s.derived = p.URL()
	}
}

func (s *accountStep) view(w *wizard) string {
	e := w.e
	if s.derived == "" {
		return ""
	}
	return "\n" + e.st.dim.Render(hang(e.t("tui.wizard.url_is", s.derived), e.width, 2)) + "\n"
}

func (s *accountStep) keys(*wizard) []key.Binding { return nil }

func (s *accountStep) apply(w *wizard, p *profile.Profile) {
	p.Name = s.name.value()
	p.Account.Name = s.account.value()
	p.Account.Participant = s.participant.value()
	p.Account.Environment = s.envF.value()
	p.Account.URL = soapURL(s.url.value())
}

// soapURL completes a URL given as just a host: AFAS's path is the same everywhere.
func soapURL(u string) string {
	u = strings.TrimSpace(u)
	if u == "" || strings.HasSuffix(strings.ToLower(u), strings.ToLower(soapPath)) {
		return u
	}
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return u // profile.Validate says what is wrong with it
	}
	return strings.TrimRight(u, "/") + soapPath
}
