package tui

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/verify"
)

// step is one page of the wizard. It owns its fields, their checks and its view; the wizard only
// sequences the steps and builds the profile from them.
type step interface {
	// code names the step in the catalog (tui.step.CODE, tui.stephelp.CODE).
	code() string
	// form is the step's fields (nil: none).
	form() *form
	// enter is called when the wizard arrives at the step.
	enter(w *wizard) tea.Cmd
	// next is called for enter on the step's last field: check, then w.forward() or stay.
	next(w *wizard) tea.Cmd
	// handle takes the step's own keys (when it is shown) and the answers of its live checks
	// (always); handled is false for anything else.
	handle(w *wizard, msg tea.Msg) (cmd tea.Cmd, handled bool)
	// changed is told that a field of the step got a new value.
	changed(w *wizard, f *field) tea.Cmd
	// view is what the step shows below its fields.
	view(w *wizard) string
	// keys are the step's own keys, for the help bar.
	keys(w *wizard) []key.Binding
	// apply writes the step's values into a profile.
	apply(w *wizard, p *profile.Profile)
	// skip tells whether the step does not apply (salary without AFAS Werknemer).
	skip(w *wizard) bool
}

// wizard creates or edits a customer account step by step. esc goes back a step and keeps the
// values; enter goes to the next field and, on a step's last field, to the next step; leaving a
// wizard with values in it asks first.
type wizard struct {
	e       *env
	editing *profile.Profile
	base    *profile.Profile // what the wizard started from (new: defaults)
	steps   []step
	cur     int
	spin    spinner.Model
	busy    string // what a live check is doing, shown with the spinner
	err     string // a problem of the step as a whole
	note    string
	leaving *confirm
	start   string // the profile as it started, to tell whether anything was entered
	// Shared by the steps.
	chk       check
	report    *verify.Report // the last connector check
	employers []string       // the employer codes AFAS returned
}

func newWizard(e *env, p *profile.Profile) *wizard {
	w := &wizard{e: e, editing: p, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
	if p == nil {
		p = &profile.Profile{Account: profile.Account{Environment: "production"}, Delivery: profile.Delivery{Outbox: filepath.Join(e.filesDir(), "outbox"), Mode: profile.ModeCompleet}}
		p.Couplings.Werknemer = profile.Werknemer{Enabled: true, UserGroup: "Leidinggevenden"}
		p.Couplings.Verzuim.Enabled = true
	}
	w.base = p
	w.steps = []step{
		newAccountStep(w, p), newTokenStep(w, p), newConnectorsStep(w), newMatchStep(w), newCouplingsStep(w, p),
		newSalaryStep(w, p), newDateStep(w, p), newDeliveryStep(w, p), newSFTPStep(w, p),
		newFlexStep(w, p), newDocumentsStep(w, p), newAdvancedStep(w, p), newSummaryStep(w),
	}
	w.start = w.fingerprint()
	return w
}

func (w *wizard) init() tea.Cmd { return w.step().enter(w) }

func (w *wizard) step() step { return w.steps[w.cur] }

// stepOf finds a step by its code.
// stepAs is the wizard's step of kind T: steps find each other by kind, never by position, so
// a coupling adds its step without renumbering the others.
func stepAs[T step](w *wizard) T {
	for _, s := range w.steps {
		if t, ok := s.(T); ok {
			return t
		}
	}
	var none T
	return none
}

// indexOf is the position of step s.
func (w *wizard) indexOf(s step) int { return slices.Index(w.steps, s) }

func (w *wizard) stepOf(code string) (int, step) {
	for i, s := range w.steps {
		if s.code() == code {
			return i, s
		}
	}
	return -1, nil
}

func (w *wizard) typing() bool {
	if w.leaving != nil {
		return false
	}
	f := w.step().form().cur()
	return f != nil && f.typing()
}

func (w *wizard) keys() []key.Binding {
	if w.leaving != nil {
		return w.leaving.keys()
	}
	km := w.e.km
	own := w.step().keys(w)
	ks := append([]key.Binding{km.Next}, own...)
	for _, k := range own {
		if slices.Contains(k.Keys(), "enter") {
			ks = own // the step says what enter does
		}
	}
	ks = append(ks, km.PrevStep)
	if fm := w.step().form(); fm != nil && len(fm.fields) > 1 {
		ks = append(ks, km.FieldNext)
	}
	if f := w.step().form().cur(); f != nil && f.locked == "" {
		switch f.kind {
		case checkField:
			ks = append(ks, km.Toggle)
		case choiceField:
			ks = append(ks, km.Choose)
		}
	}
	return ks
}

func (w *wizard) fullKeys() []key.Binding {
	km := w.e.km
	return append(w.keys(), km.FieldPrev)
}

// Messages of the wizard.
type savedMsg struct {
	name  string
	draft bool
}

func (w *wizard) update(msg tea.Msg) (screen, tea.Cmd) {
	e := w.e
	km := &e.km
	if m, ok := msg.(spinner.TickMsg); ok {
		if w.busy != "" || w.chk.busy {
			var cmd tea.Cmd
			w.spin, cmd = w.spin.Update(m)
			return w, cmd
		}
		return w, nil
	}
	m, isKey := msg.(tea.KeyMsg)
	if !isKey {
		// Answers of live checks go to the step that asked, wherever the wizard is now.
		for _, s := range w.steps {
			if cmd, ok := s.handle(w, msg); ok {
				return w, cmd
			}
		}
		return w, nil
	}
	if w.leaving != nil {
		done, yes := w.leaving.answer(m)
		if done {
			w.leaving = nil
			if yes {
				return w, e.pop()
			}
		}
		return w, nil
	}
	if m.String() == "ctrl+c" {
		return w, w.leave()
	}
	switch {
	case key.Matches(m, km.PrevStep):
		w.err, w.note = "", ""
		if in, ok := w.step().(interface {
			leaveInner(*wizard) (tea.Cmd, bool)
		}); ok {
			if cmd, left := in.leaveInner(w); left {
				return w, cmd
			}
		}
		if w.cur == 0 {
			return w, w.leave()
		}
		return w, w.back()
	case key.Matches(m, km.Next):
		w.err, w.note = "", ""
		if w.busy != "" {
			return w, nil
		}
		fm := w.step().form()
		if !fm.last() {
			// Say at once what is wrong with the field just left; the step's check says it all.
			w.validate(fm.cur())
			fm.focus++
			return w, fm.focusCmd()
		}
		return w, w.step().next(w)
	}
	fm := w.step().form()
	if cmd, handled, changed := fm.key(m, km); handled {
		if changed {
			w.err = ""
			return w, tea.Batch(cmd, w.step().changed(w, fm.cur()))
		}
		return w, cmd
	}
	cmd, _ := w.step().handle(w, msg)
	return w, cmd
}

// leave closes the wizard, asking first when something was entered.
func (w *wizard) leave() tea.Cmd {
	if w.fingerprint() == w.start {
		return w.e.pop()
	}
	q := w.e.t("tui.wizard.confirm_discard")
	if w.editing != nil {
		q = w.e.t("tui.wizard.confirm_discard_edit", w.editing.Name)
	}
	w.leaving = newConfirm(w.e, q, w.e.t("tui.confirm.keep_editing"), w.e.t("tui.confirm.discard"))
	return nil
}

// fingerprint is the profile the fields describe, to tell whether anything changed.
func (w *wizard) fingerprint() string {
	p := w.profile()
	p.Draft = false
	data, _ := p.Marshal()
	return string(data)
}

// forward moves to the next step that applies.
func (w *wizard) forward() tea.Cmd {
	for i := w.cur + 1; i < len(w.steps); i++ {
		if !w.steps[i].skip(w) {
			return w.goTo(i)
		}
	}
	return nil
}

// back moves to the previous step that applies.
func (w *wizard) back() tea.Cmd {
	for i := w.cur - 1; i >= 0; i-- {
		if !w.steps[i].skip(w) {
			return w.goTo(i)
		}
	}
	return nil
}

func (w *wizard) goTo(i int) tea.Cmd {
	w.cur = i
	w.busy = ""
	fm := w.step().form()
	if fm != nil {
		fm.focus = 0
		for fm.focus < len(fm.fields)-1 && fm.fields[fm.focus].locked != "" {
			fm.focus++
		}
	}
	return tea.Batch(fm.focusCmd(), w.step().enter(w))
}

// profile builds the profile from every step's values.
func (w *wizard) profile() *profile.Profile {
	p := &profile.Profile{}
	if w.editing != nil {
		cp := *w.editing
		p = &cp
	}
	for _, s := range w.steps {
		s.apply(w, p)
	}
	if !stepAs[*couplingsStep](w).werknemer() {
		p.Couplings.Werknemer.Salary = nil
	}
	p.Defaults()
	return p
}

// fieldChecker is a step that checks the form of some of its fields itself, before the
// profile's rules (which see only what the step made of the text): a problem it names is the
// one shown at the field.
type fieldChecker interface {
	checkField(w *wizard, f *field) string
}

// validate runs the profile's rules (profile.Validate, the one place they are written) and puts
// each problem at its field; only the fields given are touched (all of the current step's when
// none are). It returns how many problems it found there.
func (w *wizard) validate(only ...*field) int {
	fm := w.step().form()
	if fm == nil {
		return 0
	}
	fields := only
	if len(fields) == 0 {
		fields = fm.fields
	}
	for _, f := range fields {
		f.err = ""
	}
	n := 0
	if fc, ok := w.step().(fieldChecker); ok {
		for _, f := range fields {
			if f.err = fc.checkField(w, f); f.err != "" {
				n++
			}
		}
	}
	var errs profile.Errors
	if err := w.profile().Validate(); err != nil {
		errors.As(err, &errs)
	}
	for _, pe := range errs {
		for _, f := range fields {
			if f.owns(pe.Key) && f.err == "" {
				f.err = fieldProblem(w.e, pe)
				n++
			}
		}
	}
	return n
}

// fieldProblem is a profile problem as shown at its field: without the YAML key the label
// already names.
func fieldProblem(e *env, pe *profile.Error) string {
	text := strings.TrimPrefix(pe.Text(e.Lang), pe.Key+": ")
	if pe.Value == "" && strings.HasPrefix(text, `""`) {
		// Nothing was entered: say so, not that "" is wrong.
		text = e.t("tui.v.empty") + text[strings.Index(text, ";"):]
	}
	return text
}

// firstProblem puts the cursor on the first field with a problem.
func (w *wizard) firstProblem() tea.Cmd {
	fm := w.step().form()
	for i, f := range fm.fields {
		if f.err != "" {
			fm.focus = i
			return fm.focusCmd()
		}
	}
	return nil
}

// draft tells whether the profile can only be saved as a draft: a coupling it enables cannot run
// on the connectors AFAS has now (or they could not be checked).
func (w *wizard) draft() bool {
	p := w.profile()
	for _, c := range p.Enabled() {
		if w.unavailable(c) != "" {
			return true
		}
	}
	return false
}

func (w *wizard) view() string {
	e := w.e
	var b strings.Builder
	title := e.t("tui.wizard.new")
	if w.editing != nil {
		title = e.t("tui.wizard.edit", w.editing.Name)
	}
	shown, at := 0, 0
	for i, s := range w.steps {
		if !s.skip(w) || i == w.cur {
			shown++
			if i <= w.cur {
				at = shown
			}
		}
	}
	s := w.step()
	b.WriteString(e.st.title.Render(title) + "  " + e.st.dim.Render(itoa(at)+"/"+itoa(shown)) + " " + e.st.subtitle.Render(e.t("tui.step."+s.code())) + "\n")
	b.WriteString(e.st.dim.Render(wrap(e.t("tui.stephelp."+s.code()), e.width)) + "\n\n")
	if w.leaving != nil {
		b.WriteString(w.leaving.view() + "\n")
	}
	var tail strings.Builder
	if w.busy != "" {
		tail.WriteString("\n" + w.spin.View() + " " + w.busy + "\n")
	}
	if w.err != "" {
		tail.WriteString("\n" + e.st.err.Render(wrap(w.err, e.width)) + "\n")
	}
	if w.note != "" {
		tail.WriteString("\n" + wrap(w.note, e.width) + "\n")
	}
	// A step with more fields than the window holds shows those around the focused one, and
	// what the wizard says (busy, an error, a note); the step's own text below its fields (a
	// preview) is what the window cuts.
	room := e.room - strings.Count(b.String(), "\n") - strings.Count(tail.String(), "\n")
	if e.room <= 0 {
		room = 0 // no frame measured yet: everything
	}
	fields := s.form().viewIn(e, room)
	b.WriteString(fields)
	v := s.view(w)
	if room > 0 {
		v = firstLines(v, room-strings.Count(fields, "\n"))
	}
	b.WriteString(v)
	b.WriteString(tail.String())
	return b.String()
}
