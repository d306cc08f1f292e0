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

// connectorsStep checks the token and the four standard GetConnectors live, side by side, a
// line per connector as its check ends: the verify code koppel verify uses. Missing connectors
// do not stop the consultant: the account is then saved as a draft.
type connectorsStep struct{}

func newConnectorsStep(*wizard) *connectorsStep { return &connectorsStep{} }

func (s *connectorsStep) code() string                    { return "connectors" }
func (s *connectorsStep) form() *form                     { return nil }
func (s *connectorsStep) skip(*wizard) bool               { return false }
func (s *connectorsStep) changed(*wizard, *field) tea.Cmd { return nil }
func (s *connectorsStep) apply(*wizard, *profile.Profile) {}
func (s *connectorsStep) enter(w *wizard) tea.Cmd         { return s.start(w) }
func (s *connectorsStep) next(w *wizard) tea.Cmd          { return s.goOn(w) }
func (s *connectorsStep) keys(w *wizard) []key.Binding {
	return []key.Binding{w.e.km.Recheck, w.e.km.SaveDefs}
}

func (s *connectorsStep) goOn(w *wizard) tea.Cmd {
	if w.chk.busy {
		return nil
	}
	return w.forward()
}

// start checks every standard connector, without a salary column: the candidates show as the
// fields beyond the whitelist, and the verdict counts the one chosen as allowed (judge).
func (s *connectorsStep) start(w *wizard) tea.Cmd {
	p := w.profile()
	p.Couplings.Werknemer.Salary = nil
	w.report = nil
	return tea.Batch(w.spin.Tick, w.chk.start(w.e.ctx, p, w.checkRoles(), false))
}

func (s *connectorsStep) handle(w *wizard, msg tea.Msg) (tea.Cmd, bool) {
	cmd, ok, finished := w.chk.take(msg)
	if ok {
		if finished {
			return s.checked(w), true
		}
		return cmd, true
	}
	m, isKey := msg.(tea.KeyMsg)
	if !isKey {
		return nil, false
	}
	switch {
	case key.Matches(m, w.e.km.Recheck) && !w.chk.busy:
		return s.start(w), true
	case key.Matches(m, w.e.km.SaveDefs):
		w.note = saveDefinitions(w.e, w.salaryColumn())
		return nil, true
	}
	return nil, false
}

// checked takes the check's outcome: a refused token or an unreachable AFAS goes back to where
// it can be fixed; otherwise the couplings and the salary step learn what AFAS has.
func (s *connectorsStep) checked(w *wizard) tea.Cmd {
	e := w.e
	if w.chk.err != nil {
		w.err = e.errText(w.chk.err)
		return nil
	}
	rep := w.chk.rep
	acc := stepAs[*accountStep](w)
	tok := stepAs[*tokenStep](w)
	switch {
	case rep.Unreachable != "":
		at := acc.participant
		if acc.url.value() != "" {
			at = acc.url
		}
		at.err = e.t("verify.unreachable", rep.Unreachable)
		cmd := w.goTo(w.indexOf(acc))
		acc.fm.focus = slices.Index(acc.fm.fields, at)
		return tea.Batch(cmd, acc.fm.focusCmd())
	case !rep.TokenOK:
		tok.tok.err = e.t("tui.wizard.token_refused", rep.TokenMessage)
		return w.goTo(w.indexOf(tok))
	}
	w.report = rep
	stepAs[*salaryStep](w).offer(w)
	stepAs[*couplingsStep](w).hints(w)
	return stepAs[*deliveryStep](w).loadEmployers(w)
}

func (s *connectorsStep) view(w *wizard) string {
	e := w.e
	switch {
	case w.chk.busy:
		return w.spin.View() + " " + e.t("tui.wizard.checking") + "\n" + w.chk.progressView(e, w.spin)
	case w.report != nil:
		out := reportView(e, w.judged(), w.salaryColumn())
		if w.draft() {
			out += "\n" + e.st.warn.Render(wrap(e.t("tui.wizard.draft_ahead", definitionsFile(e)), e.width)) + "\n"
		}
		return out
	}
	return ""
}

// judged is the last check with the chosen salary column counted as allowed: the verdict koppel
// verify gives the saved profile.
func (w *wizard) judged() *verify.Report {
	if w.report == nil {
		return nil
	}
	rep := *w.report
	rep.Connectors = nil
	for _, c := range w.report.Connectors {
		rep.Connectors = append(rep.Connectors, judge(c, w.salaryColumn()))
	}
	return &rep
}

// judge gives a connector checked without a salary column the verdict it has with one.
func judge(c verify.Connector, salary string) verify.Connector {
	std, _ := connectors.ByRole(c.Role)
	if !std.Salary || salary == "" {
		return c
	}
	switch c.Status {
	case verify.OK, verify.Extra, verify.Incomplete:
	default:
		return c
	}
	c.ExtraFields = slices.DeleteFunc(slices.Clone(c.ExtraFields), func(f string) bool { return f == salary })
	if !slices.Contains(c.Fields, salary) {
		c.MissingFields = append(slices.Clone(c.MissingFields), salary)
	}
	switch {
	case len(c.MissingFields) > 0:
		c.Status = verify.Incomplete
	case len(c.ExtraFields) > 0:
		c.Status = verify.Extra
	default:
		c.Status = verify.OK
	}
	return c
}

// unavailable says why a coupling cannot run on the connectors AFAS has, or "".
func (w *wizard) unavailable(coupling string) string {
	e := w.e
	if w.report == nil {
		return e.t("tui.wizard.not_checked")
	}
	rep := w.judged()
	var bad []string
	for _, con := range connectors.Needed(w.selection(coupling)) {
		c, _ := rep.Connector(con.Role)
		if c.Status != verify.OK {
			bad = append(bad, c.ID+" ("+e.t("verify."+c.Status)+")")
		}
	}
	return strings.Join(bad, ", ")
}

// salaryColumn is the salary column chosen on the salary step ("" for none).
func (w *wizard) salaryColumn() string {
	if !stepAs[*couplingsStep](w).werknemer() {
		return ""
	}
	return stepAs[*salaryStep](w).column.value()
}
