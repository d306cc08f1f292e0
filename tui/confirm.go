package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// confirm is a question with two choices, the safe one focused. It is answered with enter on the
// focused choice, esc (the safe answer) or, in English, y; ←/→ and tab move the focus. No other
// key answers it: j, k, the arrows up and down and every other list key are ignored, so keys
// meant for the list behind it (or typed ahead, or arriving together over SSH) never decide.
type confirm struct {
	e        *env
	question string // names what will happen
	safe     string // the safe choice ("Nee, behouden")
	act      string // the choice that acts ("Ja, verwijderen")
	focus    int    // 0 the safe choice, 1 the act
}

func newConfirm(e *env, question, safe, act string) *confirm {
	return &confirm{e: e, question: question, safe: safe, act: act}
}

// answer takes a key: done when the question is answered, yes when with the act.
func (c *confirm) answer(m tea.KeyMsg) (done, yes bool) {
	km := &c.e.km
	switch {
	case key.Matches(m, km.ConfirmAnswer):
		return true, c.focus == 1
	case key.Matches(m, km.ConfirmNo):
		return true, false
	case km.ConfirmYes.Enabled() && key.Matches(m, km.ConfirmYes):
		return true, true
	case key.Matches(m, km.ConfirmMove):
		c.focus = 1 - c.focus
	}
	return false, false
}

func (c *confirm) keys() []key.Binding {
	km := c.e.km
	return []key.Binding{km.ConfirmMove, km.ConfirmAnswer, km.ConfirmNo, km.ConfirmYes}
}

// view renders the question, wrapped, and the two choices; the focused one in brackets, so it
// shows without colour too.
func (c *confirm) view() string {
	e := c.e
	choice := func(i int, label string) string {
		if i == c.focus {
			return e.st.selected.Render("[ " + label + " ]")
		}
		return "  " + label + "  "
	}
	var b strings.Builder
	b.WriteString(e.st.warn.Render(wrap(c.question, e.width-2)) + "\n")
	b.WriteString("  " + choice(0, c.safe) + "  " + choice(1, c.act) + "\n")
	return b.String()
}
