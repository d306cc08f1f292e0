package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// explainScreen explains one employee (koppel explain): it asks for a number or part of a name
// when it is not given one, reads AFAS with progress (esc cancels), lets the consultant pick when
// a name fits several employees, and shows the explanation scrollable — the same lines as the
// command line. It delivers nothing and writes nothing.
type explainScreen struct {
	e       *env
	profile string
	state   int
	input   textinput.Model
	asked   string
	// While reading.
	cancel context.CancelFunc
	mu     sync.Mutex
	reads  []engine.Event // the last progress event per connector, in order
	spin   spinner.Model
	// The answer.
	x       *engine.Explanation
	err     string
	hint    string
	matches []engine.EmployeeMatch
	pick    list
	vp      viewport.Model
	// The day explained (zero: today), and the field that asks for another one.
	day       time.Time
	dayInput  textinput.Model
	askingDay bool
	dayErr    string
}

// States of the explain screen.
const (
	explainAsk = iota
	explainReading
	explainPick
	explainShow
	explainFailed
)

// explainDone ends one read; s tells stale answers (after esc) from the current one.
type explainDone struct {
	s   *explainScreen
	x   *engine.Explanation
	err error
}

// newExplainScreen explains medewerker of a profile, or asks for one when it is "".
func newExplainScreen(e *env, profile, medewerker string) *explainScreen {
	s := &explainScreen{e: e, profile: profile, asked: medewerker, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
	s.input = textinput.New()
	s.input.Prompt = "> "
	s.input.CharLimit = 80
	s.input.Placeholder = e.t("tui.explain.placeholder")
	s.dayInput = textinput.New()
	s.dayInput.Prompt = e.t("tui.explain.day_prompt")
	s.dayInput.CharLimit = 10
	s.dayInput.Placeholder = e.t("cli.value.day")
	return s
}

func (s *explainScreen) init() tea.Cmd {
	if s.asked == "" {
		s.state = explainAsk
		return s.input.Focus()
	}
	return s.start(s.asked)
}

func (s *explainScreen) typing() bool { return s.state == explainAsk || s.askingDay }

// start reads AFAS for one employee in the background.
func (s *explainScreen) start(asked string) tea.Cmd {
	ctx, cancel := context.WithCancel(s.e.ctx)
	s.cancel, s.asked, s.state = cancel, asked, explainReading
	s.mu.Lock()
	s.reads = nil
	s.mu.Unlock()
	s.x, s.err, s.hint, s.matches = nil, "", "", nil
	opts := s.e.Engine
	opts.Now, opts.Day = s.e.Now, s.day
	eng, name := engine.New(s.e.Store), s.profile
	read := func() tea.Msg {
		x, err := eng.ExplainEvents(ctx, name, asked, opts, s.progress)
		return explainDone{s, x, err}
	}
	return tea.Batch(s.spin.Tick, read)
}

func (s *explainScreen) progress(ev engine.Event) {
	if ev.Type != "progress" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.reads {
		if s.reads[i].Connector == ev.Connector {
			s.reads[i] = ev
			return
		}
	}
	s.reads = append(s.reads, ev)
}

func (s *explainScreen) keys() []key.Binding {
	km := s.e.km
	switch s.state {
	case explainAsk:
		return []key.Binding{km.ExplainGo, km.Back}
	case explainReading:
		return []key.Binding{km.Cancel}
	case explainPick:
		return []key.Binding{km.ExplainGo, km.Up, km.Down, km.Back}
	case explainShow:
		if s.askingDay {
			return []key.Binding{km.ExplainGo, km.SearchClear}
		}
		return []key.Binding{km.Down, km.Up, km.PageDown, km.PageUp, km.ExplainDay, km.Home, km.End, km.Back}
	}
	return []key.Binding{km.Back}
}

func (s *explainScreen) update(msg tea.Msg) (screen, tea.Cmd) {
	e := s.e
	km := &e.km
	switch m := msg.(type) {
	case spinner.TickMsg:
		if s.state == explainReading {
			var cmd tea.Cmd
			s.spin, cmd = s.spin.Update(m)
			return s, cmd
		}
	case explainDone:
		if m.s != s || s.state != explainReading {
			return s, nil // an answer nobody waits for any more
		}
		s.cancel()
		return s, s.answer(m.x, m.err)
	case tea.KeyMsg:
		switch s.state {
		case explainAsk:
			switch {
			case m.Type == tea.KeyEsc:
				return s, e.pop()
			case key.Matches(m, km.ExplainGo):
				if v := strings.TrimSpace(s.input.Value()); v != "" {
					s.input.Blur()
					return s, s.start(v)
				}
				return s, nil
			}
			var cmd tea.Cmd
			s.input, cmd = s.input.Update(m)
			return s, cmd
		case explainReading:
			if key.Matches(m, km.Cancel) {
				s.cancel()
				return s, s.back()
			}
		case explainPick:
			if s.pick.move(m, km) {
				return s, nil
			}
			switch {
			case key.Matches(m, km.ExplainGo) && len(s.matches) > 0:
				return s, s.start(s.matches[s.pick.cursor].Medewerker)
			case key.Matches(m, km.Back):
				return s, s.back()
			}
		case explainShow:
			if s.askingDay {
				return s, s.dayKey(m)
			}
			if s.scroll(m) {
				return s, nil
			}
			switch {
			case key.Matches(m, km.ExplainDay):
				s.askingDay, s.dayErr = true, ""
				s.dayInput.SetValue("")
				return s, s.dayInput.Focus()
			case key.Matches(m, km.Back):
				return s, s.back()
			}
		default:
			if key.Matches(m, km.Back) {
				return s, s.back()
			}
		}
	}
	return s, nil
}

// dayKey takes a key while the screen asks for another day: enter explains the employee again
// as on that day, esc keeps the explanation as it is.
func (s *explainScreen) dayKey(m tea.KeyMsg) tea.Cmd {
	e := s.e
	switch {
	case m.Type == tea.KeyEsc:
		s.askingDay, s.dayErr = false, ""
		s.dayInput.Blur()
		return nil
	case key.Matches(m, e.km.ExplainGo):
		v := strings.TrimSpace(s.dayInput.Value())
		day, err := values.ParseDay(v)
		if err != nil {
			s.dayErr = e.t("tui.explain.bad_day", v, e.t("cli.form.day"))
			return nil
		}
		s.askingDay, s.dayErr, s.day = false, "", day
		s.dayInput.Blur()
		return s.start(s.x.Medewerker)
	}
	var cmd tea.Cmd
	s.dayInput, cmd = s.dayInput.Update(m)
	return cmd
}

// back returns to the question when the screen asked one, else to the screen before.
func (s *explainScreen) back() tea.Cmd {
	if s.input.Value() != "" {
		s.state = explainAsk
		return s.input.Focus()
	}
	return s.e.pop()
}

// answer takes what the engine found: an explanation, the employees a hint names, or an error.
func (s *explainScreen) answer(x *engine.Explanation, err error) tea.Cmd {
	e := s.e
	var unknown *engine.UnknownEmployeeError
	switch {
	case err == nil:
		s.x, s.state = x, explainShow
		s.vp = viewport.New(e.width, 1)
		s.vp.SetContent(s.content())
	case errors.As(err, &unknown) && len(unknown.Matches) == 1 && unknown.ByName:
		// A name that fits one employee is that employee.
		return s.start(unknown.Matches[0].Medewerker)
	case errors.As(err, &unknown) && len(unknown.Matches) > 0:
		s.state, s.matches = explainPick, unknown.Matches
		s.hint = e.errText(err)
		s.pick = list{}
		s.pick.setLen(len(s.matches))
	case errors.Is(err, context.Canceled):
		s.state = explainFailed
		s.err = e.t("tui.explain.cancelled")
	default:
		s.state = explainFailed
		s.err = e.errText(err)
	}
	return nil
}

// content is the explanation as the command line prints it, styled and wrapped to the screen.
func (s *explainScreen) content() string {
	e := s.e
	var b strings.Builder
	for _, l := range s.x.Text(e.Lang) {
		// Wrapped under itself, continuation lines two further in.
		lines := strings.Split(hang(l.Text, e.width-l.Indent, 2), "\n")
		for i := range lines {
			lines[i] = strings.Repeat(" ", l.Indent) + lines[i]
		}
		text := joinLines(lines)
		switch l.Kind {
		case "title":
			continue // shown above the viewport
		case "day":
			// The command line's --date is o here.
			text = e.st.dim.Render(wrap(e.t("tui.explain.day", s.x.Day), e.width))
		case "heading":
			b.WriteString("\n")
			text = e.st.subtitle.Render(text)
		case "decision":
			if st, ok := e.st.levels[l.Level]; ok && l.Level != runlog.Melding {
				text = st.Render(text)
			}
		case "header":
			text = e.st.dim.Render(text)
		}
		b.WriteString(text + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// scroll moves the explanation with the list keys.
func (s *explainScreen) scroll(m tea.KeyMsg) bool {
	km := &s.e.km
	switch {
	case key.Matches(m, km.Up):
		s.vp.ScrollUp(1)
	case key.Matches(m, km.Down):
		s.vp.ScrollDown(1)
	case key.Matches(m, km.PageUp):
		s.vp.PageUp()
	case key.Matches(m, km.PageDown):
		s.vp.PageDown()
	case key.Matches(m, km.Home):
		s.vp.GotoTop()
	case key.Matches(m, km.End):
		s.vp.GotoBottom()
	default:
		return false
	}
	return true
}

func (s *explainScreen) view() string {
	e := s.e
	var b strings.Builder
	title := e.t("tui.explain.title", s.profile)
	if s.x != nil {
		title = e.t("cli.explain.title", s.x.Medewerker, s.x.Profile)
	}
	b.WriteString(e.st.title.Render(cut(title, e.width)) + "\n")
	switch s.state {
	case explainAsk:
		b.WriteString("\n" + wrap(e.t("tui.explain.ask"), e.width) + "\n\n" + s.input.View() + "\n")
		if s.err != "" {
			b.WriteString("\n" + e.st.err.Render(wrap(s.err, e.width)) + "\n")
		}
	case explainReading:
		b.WriteString("\n" + s.spin.View() + " " + e.t("tui.explain.reading", s.asked) + "\n")
		s.mu.Lock()
		for _, r := range s.reads {
			line := e.t("tui.run.rows", e.Lang.N(r.Rows, "cli.n.row"), e.Lang.N(r.Pages, "cli.n.page"))
			mark := "…"
			if r.Done {
				mark = e.st.ok.Render("✓")
			}
			b.WriteString(fmt.Sprintf("  %s %s %s\n", mark, pad(r.Connector, 26), line))
		}
		s.mu.Unlock()
	case explainPick:
		b.WriteString("\n" + e.st.warn.Render(wrap(s.hint, e.width)) + "\n\n" + e.t("tui.explain.pick") + "\n")
		start, end := s.pick.window(max(1, e.height-lineCount(b.String())-4))
		for i := start; i < end; i++ {
			m := s.matches[i]
			b.WriteString(s.pick.row(e, i, pad(m.Medewerker, 12)+m.Name) + "\n")
		}
		b.WriteString(s.pick.position(e) + "\n")
	case explainShow:
		// The viewport takes what the title and the help bar leave.
		s.vp.Width, s.vp.Height = e.width, max(1, e.height-1-2-1)
		b.WriteString(s.vp.View() + "\n")
		if s.askingDay {
			line := s.dayInput.View()
			if s.dayErr != "" {
				line += "  " + e.st.err.Render(s.dayErr)
			}
			b.WriteString(line + "\n")
			break
		}
		b.WriteString(e.st.dim.Render(e.t("tui.explain.position", fmt.Sprint(s.vp.YOffset+1), fmt.Sprint(min(s.vp.TotalLineCount(), s.vp.YOffset+s.vp.Height)), fmt.Sprint(s.vp.TotalLineCount()))) + "\n")
	case explainFailed:
		b.WriteString("\n" + e.st.err.Render(wrap(s.err, e.width)) + "\n")
	}
	return b.String()
}

// employeeOfChange is the Personeelsnummer a change is about ("" for a department).
func employeeOfChange(c store.Change) string {
	col := -1
	switch c.Entity {
	case mapping.Employments, mapping.Absences:
		col = mapping.EmploymentPNCol // Personeelsnummer is the second column of both files
	case mapping.Users:
		col = 2
	}
	for _, vals := range [][]string{c.After, c.Before} {
		if col >= 0 && col < len(vals) && vals[col] != "" {
			return vals[col]
		}
	}
	return ""
}

// employeeOfLog is the Personeelsnummer a log entry is about: from its key where the key holds
// it, else from the run's change of the same record, else from the message ("" when none).
func employeeOfLog(l runlog.Log, changes []store.Change) string {
	switch l.Entity {
	case mapping.Employees, mapping.Users:
		return l.Key
	case mapping.Employments:
		// An employment's key (employer/number/employment), or, for what the rules found about
		// the employee on their employment's line (an invalid BSN), the number itself.
		if parts := strings.Split(l.Key, "/"); len(parts) >= 3 {
			return parts[len(parts)-2]
		}
		return l.Key
	case mapping.Absences:
		for _, c := range changes {
			if c.Entity == l.Entity && displayKey(c.Key) == l.Key {
				return employeeOfChange(c)
			}
		}
		if l.Code == "abs.employee_not_delivered" && len(l.Args) > 0 {
			return l.Args[0]
		}
	}
	return ""
}

// medewerkerOf turns a delivered Personeelsnummer back into AFAS's Medewerker: without the
// profile's prefix and suffix.
func medewerkerOf(p *profile.Profile, pn string) string {
	a := p.Rewrite.Employee
	if len(pn) > len(a.Prefix)+len(a.Suffix) && strings.HasPrefix(pn, a.Prefix) && strings.HasSuffix(pn, a.Suffix) {
		return pn[len(a.Prefix) : len(pn)-len(a.Suffix)]
	}
	return pn
}
