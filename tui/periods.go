package tui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/engine"
)

// periodsScreen is the poortwachter view of one profile: per holder with an open composite
// absence period, the Gatekeeper Act milestones, the most urgent first. It reads the stored
// state of the last delivery (engine.ReadPoortwachter, as koppel periods does), never AFAS.
type periodsScreen struct {
	e    *env
	name string
	v    *engine.Poortwachter
	err  string
	read int // stored rows read so far, while loading
	busy bool
	ch   chan tea.Msg
	list list
}

type (
	periodsProgressMsg struct {
		ch   chan tea.Msg
		read int
	}
	periodsDoneMsg struct {
		ch  chan tea.Msg
		v   *engine.Poortwachter
		err error
	}
)

func newPeriodsScreen(e *env, name string) *periodsScreen {
	return &periodsScreen{e: e, name: name}
}

func (s *periodsScreen) init() tea.Cmd { return s.load() }

// load reads the view in the background; progress arrives as messages (at most one waiting).
func (s *periodsScreen) load() tea.Cmd {
	ch := make(chan tea.Msg, 2)
	s.ch, s.busy, s.read, s.err = ch, true, 0, ""
	e, name, asOf := s.e, s.name, s.e.Now()
	go func() {
		progress := func(n int) {
			select {
			case ch <- periodsProgressMsg{ch, n}:
			default: // the screen has not taken the last one yet
			}
		}
		v, err := engine.ReadPoortwachter(e.ctx, e.Store, name, asOf, progress)
		ch <- periodsDoneMsg{ch, v, err}
	}()
	return s.wait()
}

func (s *periodsScreen) wait() tea.Cmd {
	ch := s.ch
	return func() tea.Msg { return <-ch }
}

func (s *periodsScreen) keys() []key.Binding {
	km := s.e.km
	return []key.Binding{km.Back, km.Down, km.Up, km.PageDown, km.PageUp, km.Home, km.End}
}

func (s *periodsScreen) update(msg tea.Msg) (screen, tea.Cmd) {
	km := &s.e.km
	switch m := msg.(type) {
	case refreshMsg:
		return s, s.load()
	case periodsProgressMsg:
		if m.ch == s.ch {
			s.read = m.read
			return s, s.wait()
		}
	case periodsDoneMsg:
		if m.ch == s.ch {
			s.busy, s.v = false, m.v
			if m.err != nil {
				s.err = s.e.errText(m.err)
			}
			if s.v != nil {
				s.list.setLen(len(s.v.Open))
			}
		}
	case tea.KeyMsg:
		if s.list.move(m, km) {
			return s, nil
		}
		if key.Matches(m, km.Back) {
			return s, s.e.pop()
		}
	}
	return s, nil
}

// Column widths of the list.
const pwHolderW, pwDayW, pwWeekW, pwNextW = 16, 10, 4, 22

func (s *periodsScreen) view() string {
	e := s.e
	var b strings.Builder
	b.WriteString(e.st.title.Render(e.t("tui.periods.title", s.name)) + "\n\n")
	switch {
	case s.busy:
		b.WriteString(e.t("tui.periods.loading", strconv.Itoa(s.read)) + "\n")
		return b.String()
	case s.err != "":
		b.WriteString(e.st.err.Render(wrap(e.t("tui.periods.error", s.err), e.width)) + "\n")
		return b.String()
	}
	v := s.v
	if v.Run == "" {
		b.WriteString(wrap(e.t("periods.no_delivery", v.Profile), e.width) + "\n")
		return b.String()
	}
	delivered := v.Delivered
	if t, err := time.Parse(time.RFC3339, v.Delivered); err == nil {
		delivered = t.Local().Format("2006-01-02 15:04")
	}
	b.WriteString(e.st.dim.Render(wrap(e.t("tui.periods.source", v.AsOf, v.Run, delivered), e.width)) + "\n")
	b.WriteString(wrap(e.t("periods.count", strconv.Itoa(len(v.Open)), strconv.Itoa(v.Absences), strconv.Itoa(v.Holders)), e.width) + "\n\n")
	if len(v.Open) == 0 {
		b.WriteString(e.t("periods.none", v.AsOf) + "\n")
		return b.String()
	}
	cols := func(holder, first, week, next, date string) string {
		return strings.TrimRight(pad(holder, pwHolderW)+" "+pad(first, pwDayW)+" "+padLeft(week, pwWeekW)+"  "+pad(next, pwNextW)+" "+date, " ")
	}
	b.WriteString(e.st.dim.Render("  "+cols(e.t("tui.periods.col.holder"), e.t("tui.periods.col.first"), e.t("tui.periods.col.week"), e.t("tui.periods.col.next"), "")) + "\n")
	// Above the list 7 lines (the source may take two); below it the position, a blank line,
	// the selected period (a line, five milestones, perhaps the estimate note), the legend and
	// two lines of help bar.
	start, end := s.list.window(e.height - 7 - 12)
	for i := start; i < end; i++ {
		op := v.Open[i]
		next, date := e.t("periods.all_past"), ""
		if op.Next != nil {
			next, date = e.t("periods.ms."+op.Next.Code), op.Next.Date
		}
		b.WriteString(s.list.row(e, i, cols(op.Employer+"/"+op.Employee, op.FirstDay, strconv.Itoa(op.Week), next, date)) + "\n")
	}
	b.WriteString(s.list.position(e) + "\n\n")
	b.WriteString(s.detail(v.Open[s.list.cursor]))
	b.WriteString(e.st.dim.Render(wrap(e.t("tui.periods.legend"), e.width)) + "\n")
	return b.String()
}

// detail shows the selected period's milestones, the next first, the past ones marked.
func (s *periodsScreen) detail(op engine.OpenPeriod) string {
	e := s.e
	var b strings.Builder
	b.WriteString(e.st.subtitle.Render(cut(e.t("tui.periods.holder", op.Employer+"/"+op.Employee, op.FirstDay, strconv.Itoa(op.Week), strconv.Itoa(op.GapDays)), e.width)) + "\n")
	for i, m := range op.Milestones {
		line := m.Date + "  " + pad(e.t("periods.week", strconv.Itoa(m.Week)), 9) + " " + e.t("periods.ms."+m.Code)
		switch {
		case m.Past:
			b.WriteString(e.st.dim.Render("✓ "+line+"  ("+e.t("periods.past")+")") + "\n")
		case i == 0:
			b.WriteString(e.st.title.Render("» ") + e.st.subtitle.Render(line) + "\n")
		default:
			b.WriteString("  " + line + "\n")
		}
	}
	if op.Estimated {
		b.WriteString(e.st.warn.Render(wrap(e.t("periods.estimated"), e.width)) + "\n")
	}
	return b.String()
}
