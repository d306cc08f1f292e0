package tui

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// frame is how often a running run is redrawn: events are collected in between, so a run of
// 100,000 employees does not redraw per page or per log entry.
const frame = 100 * time.Millisecond

// runScreen runs a profile and shows it live.
type runScreen struct {
	e          *env
	name       string
	dry, allow bool
	cancel     context.CancelFunc
	done       chan runDone
	mu         sync.Mutex
	pending    []engine.Event
	conns      []*connProgress
	stage      string
	counts     map[string]store.EntityCounts
	logs       []runlog.Log
	scroll     int // log lines scrolled up from the bottom
	logHeight  int // rows of log the last view showed
	finished   bool
	result     *engine.Result
	err        error
	asking     *confirm // cancel the run, or deliver past the deletion guard
	askAllow   bool     // asking is the deletion guard's question
	cancelled  bool
	bar        progress.Model
	spin       spinner.Model
	started    time.Time
	upload     *engine.UploadEvent // the last upload event (upload.go)
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
		case "upload":
			r.upload = ev.Upload
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
	km := r.e.km
	switch {
	case r.asking != nil:
		return r.asking.keys()
	case !r.finished:
		return []key.Binding{km.Cancel, km.PageUp, km.PageDown}
	}
	var ks []key.Binding
	if r.result != nil {
		ks = append(ks, km.OpenRun)
	}
	if r.blocked() {
		ks = append(ks, km.Allow)
	}
	if r.dry && r.err == nil {
		ks = append(ks, km.Deliver)
	}
	return append(ks, km.History, km.Periods, km.Back, km.PageUp, km.PageDown, km.Home, km.End)
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
		if !r.askAllow {
			r.asking = nil // the question to cancel is moot
		}
		r.cancel()
	case tea.KeyMsg:
		return r.key(m)
	}
	return r, nil
}

func (r *runScreen) key(m tea.KeyMsg) (screen, tea.Cmd) {
	e := r.e
	km := &e.km
	if r.asking != nil {
		done, yes := r.asking.answer(m)
		if !done {
			return r, nil
		}
		allow := r.askAllow
		r.asking, r.askAllow = nil, false
		switch {
		case yes && allow:
			next := newRunScreen(e, r.name, false, true)
			return next, next.init()
		case yes && !r.finished:
			r.cancel()
		}
		return r, nil
	}
	if r.scrollKey(m) {
		return r, nil
	}
	if !r.finished {
		if key.Matches(m, km.Cancel) {
			r.asking = newConfirm(e, e.t("tui.run.confirm_cancel"), e.t("tui.confirm.go_on"), e.t("tui.confirm.cancel_run"))
		}
		return r, nil
	}
	switch {
	case key.Matches(m, km.Back):
		return r, e.pop()
	case key.Matches(m, km.History):
		h := newHistory(e, r.name)
		return h, nil
	case key.Matches(m, km.OpenRun) && r.result != nil:
		return r, e.push(newRunDetail(e, r.result.Run))
	case key.Matches(m, km.Periods):
		return r, e.push(newPeriodsScreen(e, r.name))
	case key.Matches(m, km.Allow) && r.blocked():
		r.asking, r.askAllow = r.allowConfirm(), true
	case key.Matches(m, km.Deliver) && r.dry && r.err == nil:
		next := newRunScreen(e, r.name, false, false)
		return next, next.init()
	}
	return r, nil
}

// allowConfirm names what delivering past the deletion guard does.
func (r *runScreen) allowConfirm() *confirm {
	e := r.e
	var hits []string
	for _, h := range r.result.Run.Blocked {
		hits = append(hits, e.t("tui.run.allow_entity", fmt.Sprint(h.Deleted), fmt.Sprint(h.Previous), e.t("entity."+h.Entity)))
	}
	return newConfirm(e, e.t("tui.run.confirm_allow", strings.Join(hits, "; ")), e.t("tui.confirm.dont_deliver"), e.t("tui.confirm.deliver"))
}

// scrollKey scrolls the log: up is back in time.
func (r *runScreen) scrollKey(m tea.KeyMsg) bool {
	km := &r.e.km
	page := max(1, r.logHeight-1)
	top := max(0, len(r.logs)-r.logHeight)
	switch {
	case key.Matches(m, km.PageUp):
		r.scroll += page
	case key.Matches(m, km.PageDown):
		r.scroll -= page
	case r.finished && key.Matches(m, km.Up):
		r.scroll++
	case r.finished && key.Matches(m, km.Down):
		r.scroll--
	case r.finished && key.Matches(m, km.Home):
		r.scroll = top
	case r.finished && key.Matches(m, km.End):
		r.scroll = 0
	default:
		return false
	}
	r.scroll = max(0, min(r.scroll, top))
	return true
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
	b.WriteString(r.logPane(e.height - used - 1))
	return b.String()
}

// stageLine shows the stages: done ✓, the current one », the one a run stopped in ✗, and the
// ones a preview or a blocked run skips –, so neither looks delivered.
func (r *runScreen) stageLine() string {
	e := r.e
	stages := []string{engine.StageFetch, engine.StageCompare, engine.StageDeliver, engine.StageCommit}
	cur := -1
	for i, s := range stages {
		if s == r.stage {
			cur = i
		}
	}
	skipFrom := len(stages)
	if r.dry || r.blocked() {
		skipFrom = 2 // deliver and commit
	}
	if r.stage == engine.StageDone {
		cur = min(len(stages), skipFrom)
	}
	var parts []string
	for i, s := range stages {
		name := e.t("stage." + s)
		switch {
		case i >= skipFrom && (r.finished || r.dry):
			parts = append(parts, e.st.dim.Render("– "+name+" "+e.t("tui.run.skipped")))
		case i < cur:
			parts = append(parts, e.st.ok.Render("✓ ")+e.st.dim.Render(name))
		case i == cur && r.finished:
			// the stage a failed or cancelled run stopped in
			parts = append(parts, e.st.bad.Render("✗ "+name))
		case i == cur:
			parts = append(parts, e.st.subtitle.Render("» "+name))
		default:
			parts = append(parts, e.st.dim.Render("  "+name))
		}
	}
	return wrapJoin(parts, "  ", e.width, 3)
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
	return fmt.Sprintf("%-23s %s %s %s", cut(c.id, 23), bar, mark, e.t("tui.run.rows", e.Lang.N(c.rows, "cli.n.row"), e.Lang.N(c.pages, "cli.n.page")))
}

func (r *runScreen) countsTable() string {
	return countsTable(r.e, r.counts, r.result != nil && r.result.Run.HasDelivery())
}

func (r *runScreen) statusLine() string {
	e := r.e
	var b strings.Builder
	b.WriteString("\n")
	switch {
	case r.asking != nil:
		b.WriteString(r.asking.view())
	case !r.finished:
		b.WriteString(r.spin.View() + " " + e.t("tui.run.busy", e.Now().Sub(r.started).Round(time.Second).String()) + uploading(e, r.upload) + "\n")
	case r.cancelled:
		b.WriteString(e.st.warn.Render(e.t("tui.run.cancelled")) + "\n")
	case r.err != nil:
		b.WriteString(e.st.bad.Render(e.t("tui.run.failed")) + " " + wrap(e.errText(r.err), e.width) + "\n")
	case r.blocked():
		b.WriteString(e.st.warn.Render(e.t("tui.run.blocked")) + "\n")
		for _, h := range r.result.Run.Blocked {
			b.WriteString("  " + e.t("entity."+h.Entity) + ": " + e.t("tui.run.blocked_entity", fmt.Sprint(h.Deleted), fmt.Sprint(h.Previous), fmt.Sprint(h.Limit)) + "\n")
		}
	case r.dry:
		b.WriteString(e.st.ok.Render(wrap(e.t("tui.run.preview_done", fmt.Sprint(len(r.result.Changes))), e.width)) + "\n")
	default:
		prefix := e.t("tui.run.done") + " "
		b.WriteString(e.st.ok.Render(prefix) + shortPath(r.result.Run.Delivery, e.width-len([]rune(prefix))) + "\n")
		b.WriteString(uploadLine(e, r.result.Run))
	}
	return b.String()
}

// logPane shows the last lines of the log that fit; only those are rendered, however long the
// log grows.
func (r *runScreen) logPane(height int) string {
	r.logHeight = max(1, height-1)
	r.scroll = max(0, min(r.scroll, len(r.logs)-r.logHeight))
	return logPane(r.e, r.logs, height, r.scroll)
}

func logPane(e *env, logs []runlog.Log, height, scroll int) string {
	if height < 2 || len(logs) == 0 {
		return ""
	}
	var b strings.Builder
	end := len(logs) - scroll
	start := max(0, end-(height-1))
	head := e.t("tui.run.log", fmt.Sprint(len(logs)))
	if scroll > 0 || start > 0 {
		head += "  " + e.st.dim.Render(e.t("tui.run.log_lines", fmt.Sprint(start+1), fmt.Sprint(end)))
	}
	b.WriteString(e.st.subtitle.Render(head) + "\n")
	for _, l := range logs[start:end] {
		b.WriteString(cut(logLine(e, l), e.width) + "\n")
	}
	return b.String()
}

// logLine renders a log entry: level, entity, the record's key and the message.
func logLine(e *env, l runlog.Log) string {
	lvl := e.st.levels[l.Level].Render(pad(e.t("level."+l.Level.String()), 12))
	return lvl + " " + logText(e, l)
}

// logText is a log entry without its level: what record, and what about it.
func logText(e *env, l runlog.Log) string {
	rec := ""
	if l.Entity != "" && i18n.Has("entity."+l.Entity) {
		rec = e.t("entity."+l.Entity) + " "
	}
	if l.Key != "" {
		rec += displayKey(l.Key) + ": "
	} else if rec != "" {
		rec = strings.TrimSpace(rec) + ": "
	}
	return rec + e.t(l.Code, l.Args...)
}

// wrapJoin joins parts into at most maxLines lines of width.
func wrapJoin(parts []string, sep string, width, maxLines int) string {
	var lines []string
	cur := ""
	for _, p := range parts {
		cand := p
		if cur != "" {
			cand = cur + sep + p
		}
		if visibleLen(cand) > width && cur != "" {
			lines = append(lines, cur)
			cur = p
			if len(lines) == maxLines {
				break
			}
			continue
		}
		cur = cand
	}
	if cur != "" && len(lines) < maxLines {
		lines = append(lines, cur)
	}
	return strings.Join(lines, "\n")
}
