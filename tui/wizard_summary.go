package tui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/profile"
)

// summaryStep shows the profile as it will be saved, its name first (every command needs it),
// and saves it: complete, or as a draft while connectors are missing.
type summaryStep struct{}

func newSummaryStep(*wizard) *summaryStep { return &summaryStep{} }

func (s *summaryStep) code() string                    { return "summary" }
func (s *summaryStep) form() *form                     { return nil }
func (s *summaryStep) skip(*wizard) bool               { return false }
func (s *summaryStep) enter(*wizard) tea.Cmd           { return nil }
func (s *summaryStep) changed(*wizard, *field) tea.Cmd { return nil }
func (s *summaryStep) apply(*wizard, *profile.Profile) {}
func (s *summaryStep) next(w *wizard) tea.Cmd          { return s.save(w, false) }

func (s *summaryStep) keys(w *wizard) []key.Binding {
	km := w.e.km
	save := km.Save
	if w.draft() {
		save.SetHelp(save.Help().Key, w.e.t("tui.key.save_draft"))
		return []key.Binding{save}
	}
	return []key.Binding{save, km.SaveRun}
}

func (s *summaryStep) handle(w *wizard, msg tea.Msg) (tea.Cmd, bool) {
	if m, ok := msg.(tea.KeyMsg); ok && key.Matches(m, w.e.km.SaveRun) && !w.draft() {
		return s.save(w, true), true
	}
	return nil, false
}

// save stores the profile; with run it starts a run right away. A problem the profile's rules
// find takes the wizard to its step and field.
func (s *summaryStep) save(w *wizard, run bool) tea.Cmd {
	e := w.e
	p := w.profile()
	p.Draft = w.draft()
	if err := e.Store.PutProfile(p); err != nil {
		var errs profile.Errors
		if errors.As(err, &errs) {
			return s.showProblems(w, errs)
		}
		w.err = e.errText(err)
		return nil
	}
	e.pop()
	e.send(savedMsg{name: p.Name, draft: p.Draft})
	if w.matchFirst() {
		e.push(newMatchScreen(e, p.Name))
	} else if run {
		e.push(newRunScreen(e, p.Name, false, false))
	}
	return nil
}

// showProblems goes to the first step with a field the problems belong to.
func (s *summaryStep) showProblems(w *wizard, errs profile.Errors) tea.Cmd {
	for i, st := range w.steps {
		fm := st.form()
		if fm == nil || st.skip(w) {
			continue
		}
		for _, pe := range errs {
			for _, f := range fm.fields {
				if f.owns(pe.Key) {
					cmd := w.goTo(i)
					w.validate()
					return tea.Batch(cmd, w.firstProblem())
				}
			}
		}
	}
	w.err = errs.Text(w.e.Lang)
	return nil
}

func (s *summaryStep) view(w *wizard) string {
	e := w.e
	p := w.profile()
	var b strings.Builder
	b.WriteString(profileSummary(e, p))
	if w.draft() {
		b.WriteString("\n" + e.st.warn.Render(wrap(e.t("tui.wizard.draft_save", p.Name), e.width)) + "\n")
	}
	return b.String()
}
