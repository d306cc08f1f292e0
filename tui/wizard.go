package tui

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/token"
	"github.com/koppel-nl/koppel/sync/values"
	"github.com/koppel-nl/koppel/sync/verify"
)

// The wizard's steps, in order.
const (
	stepAccount = iota
	stepToken
	stepConnectors
	stepCouplings
	stepSalary
	stepDate
	stepDelivery
	stepSummary
	stepCount
)

var stepCodes = []string{"account", "token", "connectors", "couplings", "salary", "date", "delivery", "summary"}

// field is one input of a step: text, a choice (←/→) or a check box (space).
type field struct {
	label   string
	input   textinput.Model
	choices []string
	choice  int
	isCheck bool
	check   bool
	locked  string // why it cannot be changed, if it cannot
}

func (f *field) text() bool { return f.choices == nil && !f.isCheck }

func (f *field) value() string { return strings.TrimSpace(f.input.Value()) }

// wizard creates or edits a customer account step by step. Each step validates before it lets
// the consultant on; esc goes back and keeps the values.
type wizard struct {
	e        *env
	editing  *profile.Profile
	step     int
	focus    int
	fields   [stepCount][]*field
	err      string
	note     string
	busy     string
	spin     spinner.Model
	report   *verify.Report
	preview  []string
	excluded *excludedMsg
	k        struct{ next, back, fieldNext, fieldPrev, toggle, recheck, save, saveRun key.Binding }
}

// Field positions per step.
const (
	fName, fAccount, fParticipant, fEnvironment, fURL         = 0, 1, 2, 3, 4
	fWerknemer, fManagers, fUserGroup, fVerzuim               = 0, 1, 2, 3
	fColumn, fKind                                            = 0, 1
	fOutbox, fMode, fEmployer, fErPre, fErSuf, fEePre, fEeSuf = 0, 1, 2, 3, 4, 5, 6
)

var (
	environments  = []string{"production", "test", "accept"}
	salaryKinds   = []string{"maandloon", "vierwekenloon", "svloon"}
	modes         = []string{profile.ModeCompleet, profile.ModeMutaties}
	profileName   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	participantRe = regexp.MustCompile(`^[0-9]{5}$`)
)

func newWizard(e *env, p *profile.Profile) *wizard {
	w := &wizard{e: e, editing: p, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
	w.k.next = e.key("tui.key.next", "enter")
	w.k.back = e.key("tui.key.prev_step", "esc")
	w.k.fieldNext = e.key("tui.key.field_next", "tab", "down")
	w.k.fieldPrev = e.key("tui.key.field_prev", "shift+tab", "up")
	w.k.toggle = e.key("tui.key.toggle", " ", "left", "right")
	w.k.toggle.SetHelp("␣/←→", e.t("tui.key.toggle"))
	w.k.recheck = e.key("tui.key.recheck", "c")
	w.k.save = e.key("tui.key.save_defs", "s")
	w.k.saveRun = e.key("tui.key.save_run", "r")

	text := func(label, value, example string) *field {
		in := textinput.New()
		in.SetValue(value)
		if example != "" {
			// "e.g." keeps an example apart from a value where there is no colour (NO_COLOR).
			in.Placeholder = e.t("tui.eg") + example
		}
		in.Width = max(20, e.width-30)
		in.Prompt = ""
		in.CharLimit = 512
		return &field{label: e.t(label), input: in}
	}
	choice := func(label string, choices []string, labels []string, cur string) *field {
		f := &field{label: e.t(label), choices: labels}
		for i, c := range choices {
			if c == cur {
				f.choice = i
			}
		}
		return f
	}
	check := func(label string, v bool) *field { return &field{label: e.t(label), isCheck: true, check: v} }

	if p == nil {
		wd := e.WorkDir
		p = &profile.Profile{Account: profile.Account{Environment: "production"}, DateFrom: "", Delivery: profile.Delivery{Outbox: filepath.Join(wd, "outbox"), Mode: profile.ModeCompleet}}
		p.Couplings.Werknemer = profile.Werknemer{Enabled: true, UserGroup: "Leidinggevenden"}
		p.Couplings.Verzuim.Enabled = true
	}
	envLabels := []string{e.t("tui.env.production"), e.t("tui.env.test"), e.t("tui.env.accept")}
	name := text("tui.f.name", p.Name, "acme-zorg")
	if w.editing != nil {
		name.locked = e.t("tui.wizard.name_locked")
	}
	w.fields[stepAccount] = []*field{
		name,
		text("tui.f.account", p.Account.Name, "Acme Zorg BV"),
		text("tui.f.participant", p.Account.Participant, "12345"),
		choice("tui.f.environment", environments, envLabels, p.Account.Environment),
		text("tui.f.url_advanced", p.Account.URL, ""),
	}
	w.fields[stepAccount][fURL].input.Placeholder = e.t("tui.wizard.url_placeholder")
	tok := text("tui.f.token", p.Account.Token, "")
	tok.input.EchoMode = textinput.EchoPassword
	tok.input.EchoCharacter = '•'
	w.fields[stepToken] = []*field{tok}
	w.fields[stepCouplings] = []*field{
		check("tui.f.werknemer", p.Couplings.Werknemer.Enabled),
		check("tui.f.managers", p.Couplings.Werknemer.Managers),
		text("tui.f.usergroup", p.Couplings.Werknemer.UserGroup, "Leidinggevenden"),
		check("tui.f.verzuim", p.Couplings.Verzuim.Enabled),
	}
	col, kind := "", "maandloon"
	if s := p.Couplings.Werknemer.Salary; s != nil {
		col, kind = s.Column, s.Kind
	}
	kindLabels := []string{profile.SalaryKindLabel("maandloon"), profile.SalaryKindLabel("vierwekenloon"), profile.SalaryKindLabel("svloon")}
	colField := &field{label: e.t("tui.f.salary_column"), choices: []string{e.t("tui.wizard.no_salary")}}
	if col != "" {
		colField.choices = append(colField.choices, col)
		colField.choice = 1
	}
	w.fields[stepSalary] = []*field{colField, choice("tui.f.salary_kind", salaryKinds, kindLabels, kind)}
	w.fields[stepDate] = []*field{text("tui.f.datefrom", p.DateFrom, "2022-01-31")}
	w.fields[stepDelivery] = []*field{
		text("tui.f.outbox", p.Delivery.Outbox, ""),
		choice("tui.f.mode", modes, modes, p.Delivery.Mode),
		text("tui.f.employer", p.Employer, "ACME"),
		text("tui.f.er_prefix", p.Rewrite.Employer.Prefix, ""),
		text("tui.f.er_suffix", p.Rewrite.Employer.Suffix, ""),
		text("tui.f.ee_prefix", p.Rewrite.Employee.Prefix, ""),
		text("tui.f.ee_suffix", p.Rewrite.Employee.Suffix, ""),
	}
	if w.editing != nil {
		w.focus = fAccount
	}
	return w
}

func (w *wizard) init() tea.Cmd { return w.focusCmd() }

func (w *wizard) cur() *field {
	fs := w.fields[w.step]
	if w.focus < len(fs) {
		return fs[w.focus]
	}
	return nil
}

func (w *wizard) typing() bool {
	f := w.cur()
	return f != nil && f.text() && f.locked == ""
}

func (w *wizard) focusCmd() tea.Cmd {
	var cmd tea.Cmd
	for i, f := range w.fields[w.step] {
		if !f.text() {
			continue
		}
		if i == w.focus && f.locked == "" {
			cmd = f.input.Focus()
		} else {
			f.input.Blur()
		}
	}
	return cmd
}

func (w *wizard) keys() []key.Binding {
	ks := []key.Binding{w.k.next, w.k.back}
	if len(w.fields[w.step]) > 1 {
		ks = append(ks, w.k.fieldNext)
	}
	if f := w.cur(); f != nil && !f.text() {
		ks = append(ks, w.k.toggle)
	}
	switch w.step {
	case stepConnectors:
		ks = append(ks, w.k.recheck, w.k.save)
	case stepSummary:
		ks = []key.Binding{w.e.key("tui.key.save", "enter"), w.k.saveRun, w.k.back}
	}
	return ks
}

// Messages of the live checks.
type (
	checkedMsg struct {
		rep *verify.Report
		err error
	}
	previewMsg struct {
		column string
		vals   []string
		err    error
	}
	excludedMsg struct {
		day                   string
		employments, absences int
		err                   error
	}
	savedMsg struct{ name string }
)

func (w *wizard) update(msg tea.Msg) (screen, tea.Cmd) {
	switch m := msg.(type) {
	case spinner.TickMsg:
		if w.busy != "" {
			var cmd tea.Cmd
			w.spin, cmd = w.spin.Update(m)
			return w, cmd
		}
		return w, nil
	case checkedMsg:
		return w, w.checked(m)
	case previewMsg:
		if m.column == w.salaryColumn() {
			w.busy = ""
			w.preview = m.vals
			if m.err != nil {
				w.err = m.err.Error()
			}
		}
		return w, nil
	case excludedMsg:
		w.busy = ""
		if m.err != nil {
			w.err = m.err.Error()
			return w, nil
		}
		w.excluded = &m
		return w, nil
	case tea.KeyMsg:
		return w.key(m)
	}
	return w, nil
}

func (w *wizard) key(m tea.KeyMsg) (screen, tea.Cmd) {
	f := w.cur()
	switch {
	case m.String() == "ctrl+c":
		return w, pop
	case key.Matches(m, w.k.back):
		w.err, w.note = "", ""
		if w.step == stepAccount {
			return w, pop
		}
		w.step--
		if w.step == stepSalary && !w.werknemer() {
			w.step--
		}
		if w.step == stepToken || w.step == stepConnectors {
			// Going back past a live check means it runs again on the way forward.
			w.busy = ""
		}
		w.focus = 0
		return w, w.focusCmd()
	case key.Matches(m, w.k.next):
		return w, w.advance()
	case key.Matches(m, w.k.fieldNext) && len(w.fields[w.step]) > 1:
		w.focus = (w.focus + 1) % len(w.fields[w.step])
		return w, w.focusCmd()
	case key.Matches(m, w.k.fieldPrev) && len(w.fields[w.step]) > 1:
		w.focus = (w.focus + len(w.fields[w.step]) - 1) % len(w.fields[w.step])
		return w, w.focusCmd()
	}
	if f != nil && f.locked != "" {
		w.err = f.locked
		return w, nil
	}
	if f != nil && f.text() {
		var cmd tea.Cmd
		w.err = ""
		f.input, cmd = f.input.Update(m)
		if w.step == stepDate {
			w.excluded = nil
		}
		return w, cmd
	}
	if f != nil && key.Matches(m, w.k.toggle) {
		w.err = ""
		if f.isCheck {
			if reason := w.unavailable(w.focus); reason != "" && !f.check {
				w.err = reason
				return w, nil
			}
			f.check = !f.check
			return w, nil
		}
		if m.String() == "left" {
			f.choice = (f.choice + len(f.choices) - 1) % len(f.choices)
		} else {
			f.choice = (f.choice + 1) % len(f.choices)
		}
		if w.step == stepSalary && w.focus == fColumn {
			return w, w.previewCmd()
		}
		return w, nil
	}
	switch w.step {
	case stepConnectors:
		switch {
		case key.Matches(m, w.k.recheck):
			return w, w.check()
		case key.Matches(m, w.k.save):
			w.note = saveDefinitions(w.e)
		}
	case stepSummary:
		if key.Matches(m, w.k.saveRun) {
			return w, w.save(true)
		}
	}
	return w, nil
}

// advance validates the current step and moves on.
func (w *wizard) advance() tea.Cmd {
	w.err, w.note = "", ""
	if w.busy != "" {
		return nil
	}
	if w.focus < len(w.fields[w.step])-1 && w.step != stepCouplings && w.step != stepSalary {
		// enter in a form moves to the next field first, then on
		w.focus++
		return w.focusCmd()
	}
	if msg, at := w.validate(); msg != "" {
		w.err = msg
		if at >= 0 {
			w.focus = at
			return w.focusCmd()
		}
		return nil
	}
	switch w.step {
	case stepToken:
		return w.check()
	case stepDate:
		day := w.fields[stepDate][0].value()
		if w.excluded == nil || w.excluded.day != day {
			return w.countExcluded(day)
		}
	case stepSummary:
		return w.save(false)
	}
	return w.goTo(w.step + 1)
}

func (w *wizard) goTo(step int) tea.Cmd {
	if step == stepSalary && !w.werknemer() {
		step++
	}
	w.step, w.focus = step, 0
	if step == stepSalary && w.salaryColumn() != "" {
		return tea.Batch(w.focusCmd(), w.previewCmd())
	}
	return w.focusCmd()
}

// validate checks the current step. The message names the field and the expected form; at is
// the field to put the cursor on (-1: none).
func (w *wizard) validate() (msg string, at int) {
	fs := w.fields[w.step]
	t := w.e.t
	switch w.step {
	case stepAccount:
		if !profileName.MatchString(fs[fName].value()) {
			return t("tui.v.name"), fName
		}
		if fs[fAccount].value() == "" {
			return t("tui.v.account"), fAccount
		}
		if !participantRe.MatchString(fs[fParticipant].value()) {
			return t("tui.v.participant"), fParticipant
		}
		if u := fs[fURL].value(); u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return t("tui.v.url"), fURL
		}
		if w.editing == nil {
			if _, err := w.e.Store.Profile(fs[fName].value()); err == nil {
				return t("tui.v.name_taken", fs[fName].value()), fName
			}
		}
	case stepToken:
		if _, _, err := token.NormalizeToken(fs[0].value()); err != nil {
			return t("tui.v.token"), 0
		}
	case stepCouplings:
		if !fs[fWerknemer].check && !fs[fVerzuim].check {
			return t("tui.v.coupling"), fWerknemer
		}
		for i, f := range fs {
			if f.isCheck && f.check {
				if reason := w.unavailable(i); reason != "" {
					return reason, i
				}
			}
		}
		if fs[fManagers].check && fs[fUserGroup].value() == "" {
			return t("tui.v.usergroup"), fUserGroup
		}
	case stepSalary:
		extra := w.salaryCandidates()
		col := w.salaryColumn()
		if len(extra) > 1 || len(extra) == 1 && col != extra[0] {
			return t("tui.v.salary_extra", strings.Join(extra, ", ")), fColumn
		}
	case stepDate:
		if _, err := values.ParseDay(fs[0].value()); err != nil {
			return t("tui.v.date"), 0
		}
	case stepDelivery:
		if fs[fOutbox].value() == "" {
			return t("tui.v.outbox"), fOutbox
		}
		if fs[fEmployer].value() == "" {
			return t("tui.v.employer"), fEmployer
		}
	}
	return "", -1
}

// profile builds the profile from the wizard's values.
func (w *wizard) profile() *profile.Profile {
	a, cp, del := w.fields[stepAccount], w.fields[stepCouplings], w.fields[stepDelivery]
	p := &profile.Profile{}
	if w.editing != nil {
		cp := *w.editing
		p = &cp
	}
	p.Name = a[fName].value()
	p.Account.Name = a[fAccount].value()
	p.Account.Participant = a[fParticipant].value()
	p.Account.Environment = environments[a[fEnvironment].choice]
	p.Account.URL = a[fURL].value()
	p.Account.Token = w.fields[stepToken][0].value()
	p.Couplings.Werknemer.Enabled = cp[fWerknemer].check
	p.Couplings.Werknemer.Managers = cp[fWerknemer].check && cp[fManagers].check
	p.Couplings.Werknemer.UserGroup = cp[fUserGroup].value()
	p.Couplings.Verzuim.Enabled = cp[fVerzuim].check
	p.Couplings.Werknemer.Salary = nil
	if col := w.salaryColumn(); col != "" && p.Couplings.Werknemer.Enabled {
		p.Couplings.Werknemer.Salary = &profile.Salary{Column: col, Kind: salaryKinds[w.fields[stepSalary][fKind].choice]}
	}
	p.DateFrom = w.fields[stepDate][0].value()
	p.Delivery.Outbox = del[fOutbox].value()
	if p.Delivery.Outbox != "" && !filepath.IsAbs(p.Delivery.Outbox) {
		// Runs start from anywhere (schedulers); the folder is fixed when it is chosen.
		p.Delivery.Outbox = filepath.Join(w.e.WorkDir, p.Delivery.Outbox)
	}
	p.Delivery.Mode = modes[del[fMode].choice]
	p.Employer = del[fEmployer].value()
	p.Rewrite.Employer = profile.Affix{Prefix: del[fErPre].value(), Suffix: del[fErSuf].value()}
	p.Rewrite.Employee = profile.Affix{Prefix: del[fEePre].value(), Suffix: del[fEeSuf].value()}
	p.Defaults()
	return p
}

func (w *wizard) werknemer() bool { return w.fields[stepCouplings][fWerknemer].check }

func (w *wizard) salaryColumn() string {
	f := w.fields[stepSalary][fColumn]
	if f.choice == 0 {
		return ""
	}
	return f.choices[f.choice]
}

// salaryCandidates are the fields of Koppel_Dienstverbanden beyond the whitelist: the salary
// column, if the customer added one.
func (w *wizard) salaryCandidates() []string {
	if w.report == nil {
		return nil
	}
	c, _ := w.report.Connector(connectors.Dienstverbanden)
	return c.ExtraFields
}

// check runs the live check of token and all four connectors.
func (w *wizard) check() tea.Cmd {
	w.busy = w.e.t("tui.wizard.checking")
	p := w.profile()
	// Check without a salary column: its candidates show up as extra fields.
	p.Couplings.Werknemer.Salary = nil
	ctx := w.e.ctx
	return tea.Batch(w.spin.Tick, func() tea.Msg {
		rep, err := verify.Roles(ctx, p, verify.AllRoles())
		return checkedMsg{rep, err}
	})
}

func (w *wizard) checked(m checkedMsg) tea.Cmd {
	w.busy = ""
	if m.err != nil {
		w.err = m.err.Error()
		return nil
	}
	w.report = m.rep
	if m.rep.Unreachable != "" {
		// Most likely a wrong participant number, environment or URL: say so where it can be fixed.
		w.step, w.focus = stepToken, 0
		w.err = w.e.t("verify.unreachable", m.rep.Unreachable)
		return w.focusCmd()
	}
	if !m.rep.TokenOK {
		w.step, w.focus = stepToken, 0
		w.err = w.e.t("tui.wizard.token_refused", m.rep.TokenMessage)
		return w.focusCmd()
	}
	// Offer the salary candidates.
	colField := w.fields[stepSalary][fColumn]
	cur := w.salaryColumn()
	colField.choices = append([]string{w.e.t("tui.wizard.no_salary")}, w.salaryCandidates()...)
	colField.choice = 0
	for i, c := range colField.choices {
		if c == cur && i > 0 {
			colField.choice = i
		}
	}
	// A coupling that cannot run is switched off, with the reason on its screen.
	for _, i := range []int{fWerknemer, fVerzuim} {
		if w.unavailable(i) != "" {
			w.fields[stepCouplings][i].check = false
		}
	}
	if w.step == stepToken {
		return w.goTo(stepConnectors)
	}
	return nil
}

// unavailable says why a coupling check box cannot be chosen, or "".
func (w *wizard) unavailable(i int) string {
	if w.report == nil {
		return ""
	}
	var sel connectors.Selection
	switch i {
	case fWerknemer, fManagers:
		sel.Werknemer = true
	case fVerzuim:
		sel.Verzuim = true
	default:
		return ""
	}
	var bad []string
	for _, con := range connectors.Needed(sel) {
		c, _ := w.report.Connector(con.Role)
		// The check runs without a salary column, so a salary candidate shows as one extra field.
		ok := c.Status == verify.OK || con.Salary && c.Status == verify.Extra && len(c.ExtraFields) == 1
		if !ok {
			bad = append(bad, c.ID+" ("+w.e.t("verify."+c.Status)+")")
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return w.e.t("tui.wizard.unavailable", strings.Join(bad, ", "))
}

func (w *wizard) previewCmd() tea.Cmd {
	col := w.salaryColumn()
	w.preview, w.busy = nil, ""
	if col == "" {
		return nil
	}
	w.busy = w.e.t("tui.wizard.reading")
	p := w.profile()
	ctx := w.e.ctx
	return tea.Batch(w.spin.Tick, func() tea.Msg {
		vals, err := verify.SalaryPreview(ctx, p, col, 5)
		return previewMsg{col, vals, err}
	})
}

func (w *wizard) countExcluded(day string) tea.Cmd {
	t, _ := values.ParseDay(day)
	w.busy = w.e.t("tui.wizard.counting")
	p := w.profile()
	ctx := w.e.ctx
	return tea.Batch(w.spin.Tick, func() tea.Msg {
		emp, abs, err := verify.Excluded(ctx, p, t)
		return excludedMsg{day, emp, abs, err}
	})
}

// save stores the profile; with run it starts a run right away.
func (w *wizard) save(run bool) tea.Cmd {
	p := w.profile()
	if err := p.Validate(); err != nil {
		w.err = err.Error()
		return nil
	}
	if err := w.e.Store.PutProfile(p); err != nil {
		w.err = err.Error()
		return nil
	}
	cmds := []tea.Cmd{pop, func() tea.Msg { return savedMsg{p.Name} }}
	if run {
		cmds = append(cmds, push(newRunScreen(w.e, p.Name, false, false)))
	}
	return tea.Sequence(cmds...)
}

func (w *wizard) view() string {
	e := w.e
	var b strings.Builder
	title := e.t("tui.wizard.new")
	if w.editing != nil {
		title = e.t("tui.wizard.edit", w.editing.Name)
	}
	b.WriteString(e.st.title.Render(title) + "  " + e.st.dim.Render(fmt.Sprintf("%d/%d", w.step+1, stepCount)) + " " + e.st.subtitle.Render(e.t("tui.step."+stepCodes[w.step])) + "\n")
	b.WriteString(e.st.dim.Render(cut(e.t("tui.stephelp."+stepCodes[w.step]), e.width)) + "\n\n")
	switch w.step {
	case stepConnectors:
		if w.report != nil {
			b.WriteString(reportView(e, w.report))
		}
	case stepSummary:
		b.WriteString(profileSummary(e, w.profile()))
	default:
		b.WriteString(w.formView())
	}
	b.WriteString(w.extraView())
	if w.busy != "" {
		b.WriteString("\n" + w.spin.View() + " " + w.busy + "\n")
	}
	if w.err != "" {
		b.WriteString("\n" + e.st.err.Render(wrap(w.err, e.width)) + "\n")
	}
	if w.note != "" {
		b.WriteString("\n" + wrap(w.note, e.width) + "\n")
	}
	return b.String()
}

func (w *wizard) formView() string {
	e := w.e
	var b strings.Builder
	for i, f := range w.fields[w.step] {
		marker := "  "
		if i == w.focus {
			marker = e.st.title.Render("> ")
		}
		var val string
		switch {
		case f.isCheck:
			box := "[ ]"
			if f.check {
				box = "[x]"
			}
			val = box
			if reason := w.unavailable(i); reason != "" && w.step == stepCouplings && i != fManagers {
				val += " " + e.st.dim.Render(cut(reason, e.width-30))
			}
		case f.choices != nil:
			val = "‹ " + f.choices[f.choice] + " ›"
		case f.locked != "":
			val = f.input.Value()
		default:
			val = f.input.View()
		}
		b.WriteString(marker + e.st.label.Render(f.label) + val + "\n")
	}
	return b.String()
}

// extraView is what a step shows below its form: what the token is, the salary preview, the
// date in words and what it leaves out.
func (w *wizard) extraView() string {
	e := w.e
	switch w.step {
	case stepToken:
		if _, form, err := token.NormalizeToken(w.fields[stepToken][0].value()); err == nil {
			if form == token.TokenXML {
				return "\n" + e.st.ok.Render(e.t("tui.wizard.token_xml")) + "\n"
			}
			return "\n" + e.st.ok.Render(e.t("tui.wizard.token_data")) + "\n"
		}
	case stepSalary:
		if len(w.salaryCandidates()) == 0 {
			return "\n" + e.st.dim.Render(e.t("tui.wizard.no_candidates")) + "\n"
		}
		if len(w.preview) > 0 {
			return "\n" + e.t("tui.wizard.preview") + "\n  " + strings.Join(w.preview, "\n  ") + "\n"
		}
	case stepDate:
		day := w.fields[stepDate][0].value()
		if _, err := values.ParseDay(day); err == nil {
			s := "\n" + e.st.subtitle.Render(inWords(e, day)) + "\n"
			if x := w.excluded; x != nil && x.day == day {
				if x.absences >= 0 {
					s += wrap(e.t("tui.wizard.excluded", fmt.Sprint(x.employments), fmt.Sprint(x.absences)), e.width)
				} else {
					s += wrap(e.t("tui.wizard.excluded_dv", fmt.Sprint(x.employments)), e.width)
				}
				s += "\n" + e.st.dim.Render(e.t("tui.wizard.enter_again")) + "\n"
			}
			return s
		}
	}
	return ""
}

// wrap breaks a message over lines of width.
func wrap(s string, width int) string {
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			if line != "" && len([]rune(line))+1+len([]rune(word)) > width {
				out = append(out, line)
				line = word
				continue
			}
			if line != "" {
				line += " "
			}
			line += word
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
