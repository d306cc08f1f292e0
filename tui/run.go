package tui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// frame is how often a running run is redrawn: events are collected in between, so a run of
// 100,000 employees does not redraw per page or per log entry.
const frame = 100 * time.Millisecond

// runScreen runs a profile and shows it live.
type runScreen struct {
	e            *env
	name         string
	dry, allow   bool
	cancel       context.CancelFunc
	done         chan runDone
	mu           sync.Mutex
	pending      []engine.Event
	conns        []*connProgress
	stage        string
	counts       map[string]store.EntityCounts
	logs         []runlog.Log
	scroll       int // log lines scrolled up from the bottom
	finished     bool
	result       *engine.Result
	err          error
	confirming   bool // asking whether to cancel
	confirmAllow bool // asking whether to let the deletion guard through
	cancelled    bool
	bar          progress.Model
	spin         spinner.Model
	started      time.Time
	k            struct{ cancel, yes, no, up, down, back, history, allow, deliver key.Binding }
}

type connProgress struct {
	id             string
	rows, expected int
	pages          int
	done           bool
}

type runDone struct {
	res *engine.Result
	err error
}

type frameMsg struct{}

func newRunScreen(e *env, name string, dry, allow bool) *runScreen {
	r := &runScreen{e: e, name: name, dry: dry, allow: allow, counts: map[string]store.EntityCounts{}}
	r.bar = progress.New(progress.WithWidth(24), progress.WithoutPercentage(), progress.WithSolidFill("4"))
	if e.NoColor {
		r.bar = progress.New(progress.WithWidth(24), progress.WithoutPercentage(), progress.WithColorProfile(termenv.Ascii), progress.WithFillCharacters('#', '.'))
	}
	r.spin = spinner.New(spinner.WithSpinner(spinner.Line))
	r.k.cancel = e.key("tui.key.cancel", "esc", "ctrl+c")
	r.k.yes = e.key("tui.key.yes", "j", "y")
	r.k.no = e.key("tui.key.no", "n")
	r.k.up = e.key("tui.key.scroll_up", "pgup", "up")
	r.k.down = e.key("tui.key.scroll_down", "pgdown", "down")
	r.k.back = e.key("tui.key.back", "esc", "q")
	r.k.history = e.key("tui.key.history", "h")
	r.k.allow = e.key("tui.key.allow", "a")
	r.k.deliver = e.key("tui.key.deliver", "r")
	return r
}

func (r *runScreen) init() tea.Cmd {
	ctx, cancel := context.WithCancel(r.e.ctx)
	r.cancel = cancel
	r.done = make(chan runDone, 1)
	r.started = r.e.Now()
	r.expectations()
	opts := r.e.Engine
	opts.DryRun, opts.AllowDeletes = r.dry, r.allow
	st, name := r.e.Store, r.name
	go func() {
		res, err := engine.New(st).Run(ctx, name, opts, func(ev engine.Event) {
			r.mu.Lock()
			r.pending = append(r.pending, ev)
			r.mu.Unlock()
		})
		r.done <- runDone{res, err}
	}()
	return tea.Batch(r.spin.Tick, r.nextFrame(), r.wait())
}

// expectations sizes the progress bars from the last run's row counts, where there is one.
func (r *runScreen) expectations() {
	p, err := r.e.Store.Profile(r.name)
	if err != nil {
		return
	}
	last, _ := r.e.Store.LastRun(r.name)
	for _, con := range connectors.Needed(p.Selection(p.Enabled())) {
		c := &connProgress{id: p.ConnectorID(con.Role)}
		if last != nil && last.Entities[con.Entity] != nil {
			c.expected = last.Entities[con.Entity].Fetched
		}
		r.conns = append(r.conns, c)
	}
}

func (r *runScreen) nextFrame() tea.Cmd {
	return tea.Tick(frame, func(time.Time) tea.Msg { return frameMsg{} })
}

func (r *runScreen) wait() tea.Cmd {
	done := r.done
	return func() tea.Msg { return <-done }
}

// apply takes the events that arrived since the last frame.
func (r *runScreen) apply() {
	r.mu.Lock()
	evs := r.pending
	r.pending = nil
	r.mu.Unlock()
	for _, ev := range evs {
		switch ev.Type {
		case "stage":
			r.stage = ev.Stage
		case "progress":
			c := r.conn(ev.Connector)
			c.rows, c.pages, c.done = ev.Rows, ev.Pages, c.done || ev.Done
		case "counts":
			r.counts = ev.Counts
		case "log":
			r.logs = append(r.logs, *ev.Log)
		case "summary":
			for k, v := range ev.Run.Entities {
				r.counts[k] = *v
			}
		}
	}
}

func (r *runScreen) conn(id string) *connProgress {
	for _, c := range r.conns {
		if c.id == id {
			return c
		}
	}
	c := &connProgress{id: id}
	r.conns = append(r.conns, c)
	return c
}

func (r *runScreen) keys() []key.Binding {
	switch {
	case r.confirming || r.confirmAllow:
		return []key.Binding{r.k.yes, r.k.no}
	case !r.finished:
		return []key.Binding{r.k.cancel, r.k.up, r.k.down}
	}
	ks := []key.Binding{r.k.back, r.k.history, r.k.up, r.k.down}
	if r.blocked() {
		ks = append(ks, r.k.allow)
	}
	if r.dry && r.err == nil {
		ks = append(ks, r.k.deliver)
	}
	return ks
}

func (r *runScreen) blocked() bool {
	return r.result != nil && r.result.Run.Status == engine.StatusBlocked
}

func (r *runScreen) update(msg tea.Msg) (screen, tea.Cmd) {
	switch m := msg.(type) {
	case frameMsg:
		r.apply()
		if !r.finished {
			return r, r.nextFrame()
		}
	case spinner.TickMsg:
		if !r.finished {
			var cmd tea.Cmd
			r.spin, cmd = r.spin.Update(m)
			return r, cmd
		}
	case runDone:
		r.apply()
		r.finished, r.result, r.err = true, m.res, m.err
		r.cancelled = errors.Is(m.err, context.Canceled)
		r.confirming = false
		r.cancel()
	case tea.KeyMsg:
		return r.key(m)
	}
	return r, nil
}

func (r *runScreen) key(m tea.KeyMsg) (screen, tea.Cmd) {
	switch {
	case r.confirming:
		if key.Matches(m, r.k.yes) {
			r.cancel()
		}
		r.confirming = false
		return r, nil
	case r.confirmAllow:
		r.confirmAllow = false
		if key.Matches(m, r.k.yes) {
			next := newRunScreen(r.e, r.name, false, true)
			return next, next.init()
		}
		return r, nil
	case key.Matches(m, r.k.up):
		r.scroll = min(r.scroll+5, max(0, len(r.logs)-1))
		return r, nil
	case key.Matches(m, r.k.down):
		r.scroll = max(0, r.scroll-5)
		return r, nil
	case !r.finished:
		if key.Matches(m, r.k.cancel) {
			r.confirming = true
		}
		return r, nil
	case key.Matches(m, r.k.back):
		return r, pop
	case key.Matches(m, r.k.history):
		h := newHistory(r.e, r.name)
		return h, h.init()
	case key.Matches(m, r.k.allow) && r.blocked():
		r.confirmAllow = true
	case key.Matches(m, r.k.deliver) && r.dry:
		next := newRunScreen(r.e, r.name, false, false)
		return next, next.init()
	}
	return r, nil
}

func (r *runScreen) view() string {
	e := r.e
	var b strings.Builder
	title := e.t("tui.run.title", r.name)
	if r.dry {
		title = e.t("tui.run.preview_title", r.name)
	}
	b.WriteString(e.st.title.Render(title) + "\n" + r.stageLine() + "\n\n")
	for _, c := range r.conns {
		b.WriteString(r.connLine(c) + "\n")
	}
	b.WriteString("\n" + r.countsTable())
	b.WriteString(r.statusLine())
	used := lineCount(b.String())
	b.WriteString(r.logPane(e.height - used - 2))
	return b.String()
}

func (r *runScreen) stageLine() string {
	e := r.e
	stages := []string{engine.StageFetch, engine.StageCompare, engine.StageDeliver, engine.StageCommit}
	cur := -1
	for i, s := range stages {
		if s == r.stage {
			cur = i
		}
	}
	if r.stage == engine.StageDone {
		cur = len(stages)
	}
	var parts []string
	for i, s := range stages {
		name := e.t("stage." + s)
		switch {
		case i < cur:
			parts = append(parts, e.st.ok.Render("✓ ")+e.st.dim.Render(name))
		case i == cur && r.finished:
			// the stage a failed, blocked or cancelled run stopped in
			parts = append(parts, e.st.bad.Render("✗ "+name))
		case i == cur:
			parts = append(parts, e.st.subtitle.Render("» "+name))
		default:
			parts = append(parts, e.st.dim.Render(name))
		}
	}
	return strings.Join(parts, " ")
}

func (r *runScreen) connLine(c *connProgress) string {
	e := r.e
	var bar string
	switch {
	case c.done:
		bar = r.bar.ViewAs(1)
	case c.expected > 0:
		bar = r.bar.ViewAs(min(0.99, float64(c.rows)/float64(c.expected)))
	case r.finished:
		bar = r.bar.ViewAs(0)
	default:
		bar = r.spin.View() + strings.Repeat(" ", 23)
	}
	mark := " "
	if c.done {
		mark = e.st.ok.Render("✓")
	}
	return fmt.Sprintf("%-23s %s %s %s", cut(c.id, 23), bar, mark, e.t("tui.run.rows", fmt.Sprint(c.rows), fmt.Sprint(c.pages)))
}

var runEntities = []string{mapping.Departments, mapping.Employees, mapping.Employments, mapping.Absences, mapping.Users}

func (r *runScreen) countsTable() string {
	return countsTable(r.e, r.counts, r.result != nil && r.result.Run.HasDelivery())
}

// countsTable renders the per-entity counts of a run; delivered is false for a run that has
// delivered nothing (yet): running, failed, blocked or a preview, where the column shows "—".
func countsTable(e *env, counts map[string]store.EntityCounts, delivered bool) string {
	if len(counts) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(e.st.dim.Render(fmt.Sprintf("%-15s %7s %7s %6s %6s %7s %7s %6s", "", e.t("tui.c.fetched"), e.t("tui.c.delivered"), e.t("tui.c.rejected"), e.t("tui.c.new"), e.t("tui.c.changed"), e.t("tui.c.unchanged"), e.t("tui.c.deleted"))) + "\n")
	for _, ent := range runEntities {
		c, ok := counts[ent]
		if !ok {
			continue
		}
		rej := fmt.Sprintf("%6d", c.Rejected)
		if c.Rejected > 0 {
			rej = e.st.bad.Render(rej)
		}
		del := "—"
		if delivered {
			del = strconv.Itoa(c.Delivered)
		}
		b.WriteString(fmt.Sprintf("%-15s %7d %7s %s %6d %7d %7d %6d\n", e.t("entity."+ent), c.Fetched, del, rej, c.New, c.Changed, c.Unchanged, c.Deleted))
	}
	return b.String()
}

func (r *runScreen) statusLine() string {
	e := r.e
	var b strings.Builder
	b.WriteString("\n")
	switch {
	case r.confirming:
		b.WriteString(e.st.warn.Render(e.t("tui.run.confirm_cancel")) + "\n")
	case r.confirmAllow:
		b.WriteString(e.st.warn.Render(e.t("tui.run.confirm_allow")) + "\n")
	case !r.finished:
		b.WriteString(r.spin.View() + " " + e.t("tui.run.busy", e.Now().Sub(r.started).Round(time.Second).String()) + "\n")
	case r.cancelled:
		b.WriteString(e.st.warn.Render(e.t("tui.run.cancelled")) + "\n")
	case r.err != nil:
		b.WriteString(e.st.bad.Render(e.t("tui.run.failed")) + " " + cut(r.err.Error(), e.width*2) + "\n")
	case r.blocked():
		b.WriteString(e.st.warn.Render(e.t("tui.run.blocked")) + "\n")
		for _, h := range r.result.Run.Blocked {
			b.WriteString("  " + e.t("entity."+h.Entity) + ": " + e.t("tui.run.blocked_entity", fmt.Sprint(h.Deleted), fmt.Sprint(h.Previous), fmt.Sprint(h.Limit)) + "\n")
		}
	case r.dry:
		b.WriteString(e.st.ok.Render(e.t("tui.run.preview_done", fmt.Sprint(len(r.result.Changes)))) + "\n")
	default:
		b.WriteString(e.st.ok.Render(e.t("tui.run.done")) + " " + r.result.Run.Delivery + "\n")
	}
	return b.String()
}

// logPane shows the last lines of the log that fit; only those are rendered, however long the
// log grows.
func (r *runScreen) logPane(height int) string {
	return logPane(r.e, r.logs, height, r.scroll)
}

func logPane(e *env, logs []runlog.Log, height, scroll int) string {
	if height < 2 || len(logs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(e.st.subtitle.Render(e.t("tui.run.log", fmt.Sprint(len(logs)))) + "\n")
	end := len(logs) - scroll
	start := max(0, end-(height-1))
	for _, l := range logs[start:end] {
		b.WriteString(logLine(e, l) + "\n")
	}
	return b.String()
}

func logLine(e *env, l runlog.Log) string {
	lvl := e.st.levels[l.Level].Render(fmt.Sprintf("%-12s", e.t("level."+l.Level.String())))
	key := ""
	if l.Key != "" {
		key = l.Key + " "
	}
	return lvl + " " + cut(key+e.t(l.Code, l.Args...), e.width-13)
}
