package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/profile"
)

// matchStep asks, for a new customer account, whether Xpert Suite already holds the customer's
// employees ("Bestaande klant? Koppel eerst wat Xpert Suite al heeft"). When it does, the match
// screen opens once the account is saved, before anything is delivered. It stores nothing in
// the profile: the match's decisions live in the store, per profile.
type matchStep struct {
	fm    form
	first *field
}

func newMatchStep(w *wizard) *matchStep {
	s := &matchStep{first: newCheckField(w.e, "tui.match.wizard_check", false)}
	s.fm.fields = []*field{s.first}
	return s
}

func (s *matchStep) code() string                            { return "match" }
func (s *matchStep) form() *form                             { return &s.fm }
func (s *matchStep) skip(w *wizard) bool                     { return w.editing != nil } // edits reach it from the details (m)
func (s *matchStep) enter(*wizard) tea.Cmd                   { return nil }
func (s *matchStep) changed(*wizard, *field) tea.Cmd         { return nil }
func (s *matchStep) apply(*wizard, *profile.Profile)         {}
func (s *matchStep) keys(*wizard) []key.Binding              { return nil }
func (s *matchStep) handle(*wizard, tea.Msg) (tea.Cmd, bool) { return nil, false }
func (s *matchStep) next(w *wizard) tea.Cmd                  { return w.forward() }

func (s *matchStep) view(w *wizard) string {
	if s.first.check && w.draft() {
		return "\n" + w.e.st.warn.Render(wrap(w.e.t("tui.match.wizard_draft"), w.e.width)) + "\n"
	}
	return ""
}

// matchFirst tells whether the saved account goes to the match screen first.
func (w *wizard) matchFirst() bool {
	_, s := w.stepOf("match")
	ms, ok := s.(*matchStep)
	return ok && ms.first.check && !w.draft()
}
