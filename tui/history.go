package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// history lists a profile's runs.
type history struct {
	e      *env
	name   string
	runs   []*store.Run
	cursor int
	err    string
	k      struct{ up, down, open, back key.Binding }
}

func newHistory(e *env, name string) *history {
	h := &history{e: e, name: name}
	h.k.up = e.key("tui.key.up", "up", "k")
	h.k.down = e.key("tui.key.down", "down", "j")
	h.k.open = e.key("tui.key.open_run", "enter")
	h.k.back = e.key("tui.key.back", "esc", "q")
	h.load()
	return h
}

func (h *history) init() tea.Cmd { return nil }

func (h *history) load() {
	runs, err := h.e.Store.Runs(h.name)
	if err != nil {
		h.err = err.Error()
	}
	h.runs = runs
}

func (h *history) keys() []key.Binding { return []key.Binding{h.k.up, h.k.down, h.k.open, h.k.back} }

func (h *history) update(msg tea.Msg) (screen, tea.Cmd) {
	switch m := msg.(type) {
	case refreshMsg:
		h.load()
	case tea.KeyMsg:
		switch {
		case key.Matches(m, h.k.back):
			return h, pop
		case key.Matches(m, h.k.up):
			h.cursor = max(0, h.cursor-1)
		case key.Matches(m, h.k.down):
			h.cursor = min(len(h.runs)-1, h.cursor+1)
		case key.Matches(m, h.k.open) && len(h.runs) > 0:
			return h, push(newRunDetail(h.e, h.runs[h.cursor]))
		}
	}
	return h, nil
}

func (h *history) view() string {
	e := h.e
	var b strings.Builder
	b.WriteString(e.st.title.Render(e.t("tui.history.title", h.name)) + "\n\n")
	if len(h.runs) == 0 {
		b.WriteString(e.t("tui.history.empty") + "\n")
		return b.String()
	}
	b.WriteString(e.st.dim.Render(fmt.Sprintf("  %-11s %-10s %-11s %-7s %s", e.t("tui.col.started"), e.t("tui.col.couplings"), e.t("tui.col.status"), e.t("tui.col.duration"), e.t("tui.col.delivered"))) + "\n")
	// Show a window of runs around the cursor.
	rows := max(3, e.height-8)
	start := max(0, min(h.cursor-rows/2, len(h.runs)-rows))
	for i := start; i < min(len(h.runs), start+rows); i++ {
		r := h.runs[i]
		var cs []string
		for _, c := range r.Couplings {
			cs = append(cs, strings.ToUpper(c[:1])+c[1:4]+".")
		}
		status := e.t("status." + r.Status)
		if r.DryRun {
			status += "*"
		}
		line := fmt.Sprintf("%-11s %-10s %-11s %-7s %s", r.Started.Local().Format("02-01 15:04"), strings.Join(cs, " "), status, r.Finished.Sub(r.Started).Round(1e7).String(), runCounts(e, r))
		line = cut(line, e.width-2)
		if i == h.cursor {
			b.WriteString("> " + e.st.selected.Render(line) + "\n")
		} else {
			b.WriteString("  " + e.st.status(line, r.Status) + "\n")
		}
	}
	if h.err != "" {
		b.WriteString(e.st.err.Render(h.err) + "\n")
	}
	return b.String()
}

// deliveredText is a delivered count, or "—" for a run that delivered nothing (failed, blocked,
// preview).
func deliveredText(r *store.Run, n int) string {
	if !r.HasDelivery() {
		return "—"
	}
	return strconv.Itoa(n)
}

func runCounts(e *env, r *store.Run) string {
	var parts []string
	for _, ent := range runEntities {
		if c := r.Entities[ent]; c != nil {
			parts = append(parts, fmt.Sprintf("%s %s", deliveredText(r, c.Delivered), e.t("tui.short."+ent)))
		}
	}
	return strings.Join(parts, " ")
}

// runDetail shows one run: summary, the log filtered by level and searchable, and the changes.
type runDetail struct {
	e         *env
	run       *store.Run
	logs      []runlog.Log
	changes   []store.Change
	minLevel  runlog.Level
	search    textinput.Model
	searching bool
	tab       int // 0 log, 1 changes
	offset    int
	cursor    int // in changes
	err       string
	k         struct{ lvl, find, tab, up, down, back key.Binding }
}

func newRunDetail(e *env, r *store.Run) *runDetail {
	d := &runDetail{e: e, run: r}
	d.logs, _ = e.Store.RunLogs(r.ID)
	var err error
	d.changes, err = e.Store.RunChanges(r.ID)
	if err != nil {
		d.err = err.Error()
	}
	d.search = textinput.New()
	d.search.Prompt = "/"
	d.k.lvl = e.key("tui.key.levels", "1", "2", "3", "4")
	d.k.lvl.SetHelp("1-4", e.t("tui.key.levels"))
	d.k.find = e.key("tui.key.search", "/")
	d.k.tab = e.key("tui.key.tab", "tab")
	d.k.up = e.key("tui.key.up", "up", "k")
	d.k.down = e.key("tui.key.down", "down", "j")
	d.k.back = e.key("tui.key.back", "esc", "q")
	return d
}

func (d *runDetail) init() tea.Cmd { return nil }

func (d *runDetail) typing() bool { return d.searching }

func (d *runDetail) keys() []key.Binding {
	if d.searching {
		return []key.Binding{d.e.key("tui.key.search_done", "enter"), d.e.key("tui.key.search_clear", "esc")}
	}
	return []key.Binding{d.k.lvl, d.k.find, d.k.tab, d.k.up, d.k.down, d.k.back}
}

func (d *runDetail) update(msg tea.Msg) (screen, tea.Cmd) {
	m, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil
	}
	if d.searching {
		switch m.String() {
		case "enter":
			d.searching = false
			d.search.Blur()
		case "esc":
			d.searching = false
			d.search.Blur()
			d.search.SetValue("")
		default:
			var cmd tea.Cmd
			d.search, cmd = d.search.Update(m)
			d.offset = 0
			return d, cmd
		}
		return d, nil
	}
	switch {
	case key.Matches(m, d.k.back):
		return d, pop
	case key.Matches(m, d.k.lvl):
		d.minLevel = runlog.Level(m.String()[0] - '1')
		d.offset = 0
	case key.Matches(m, d.k.find):
		d.searching = true
		d.tab = 0
		return d, d.search.Focus()
	case key.Matches(m, d.k.tab):
		d.tab = 1 - d.tab
	case key.Matches(m, d.k.up):
		if d.tab == 1 {
			d.cursor = max(0, d.cursor-1)
		} else {
			d.offset = max(0, d.offset-1)
		}
	case key.Matches(m, d.k.down):
		if d.tab == 1 {
			d.cursor = min(len(d.changes)-1, d.cursor+1)
		} else {
			d.offset++
		}
	}
	return d, nil
}

func (d *runDetail) filtered() []runlog.Log {
	q := strings.ToLower(d.search.Value())
	var out []runlog.Log
	for _, l := range d.logs {
		if l.Level < d.minLevel {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(l.Key+" "+l.Entity+" "+d.e.t(l.Code, l.Args...)), q) {
			continue
		}
		out = append(out, l)
	}
	return out
}

func (d *runDetail) view() string {
	e := d.e
	r := d.run
	var b strings.Builder
	b.WriteString(e.st.title.Render(e.t("tui.detail.title", r.ID)) + "  " + e.st.status(e.t("status."+r.Status), r.Status) + "\n")
	b.WriteString(fmt.Sprintf("%s · %s · %s · %s\n", r.Profile, strings.Join(r.Couplings, "+"), r.Mode, r.Started.Local().Format("2006-01-02 15:04:05")))
	if r.Delivery != "" {
		b.WriteString(cut(e.t("run.delivered", r.Delivery), e.width) + "\n")
	}
	if r.Error != "" {
		b.WriteString(e.st.err.Render(cut(r.Error, e.width)) + "\n")
	}
	counts := map[string]store.EntityCounts{}
	for k, v := range r.Entities {
		counts[k] = *v
	}
	b.WriteString(countsTable(e, counts, r.HasDelivery()))
	tabs := []string{e.t("tui.detail.log"), e.t("tui.detail.changes", fmt.Sprint(len(d.changes)))}
	tabs[d.tab] = e.st.selected.Render(tabs[d.tab])
	b.WriteString("\n" + strings.Join(tabs, "  ") + "\n")
	height := e.height - lineCount(b.String()) - 2
	if d.tab == 0 {
		logs := d.filtered()
		b.WriteString(e.st.dim.Render(e.t("tui.detail.filter", e.t("level."+d.minLevel.String()), fmt.Sprint(len(logs)))))
		if d.searching || d.search.Value() != "" {
			b.WriteString("  " + d.search.View())
		}
		b.WriteString("\n")
		d.offset = min(d.offset, max(0, len(logs)-1))
		end := min(len(logs), d.offset+height-1)
		for _, l := range logs[d.offset:end] {
			b.WriteString(logLine(e, l) + "\n")
		}
		return b.String()
	}
	if len(d.changes) == 0 {
		b.WriteString(e.t("tui.detail.no_changes") + "\n")
		return b.String()
	}
	half := max(2, height/2)
	start := max(0, min(d.cursor-half/2, len(d.changes)-half))
	for i := start; i < min(len(d.changes), start+half); i++ {
		c := d.changes[i]
		line := fmt.Sprintf("%-10s %-15s %s", c.Kind, e.t("entity."+c.Entity), c.Key)
		if i == d.cursor {
			b.WriteString("> " + e.st.selected.Render(cut(line, e.width-2)) + "\n")
		} else {
			b.WriteString("  " + cut(line, e.width-2) + "\n")
		}
	}
	if d.cursor < len(d.changes) {
		b.WriteString(changeDiff(e, d.changes[d.cursor], height-half))
	}
	return b.String()
}

// changeDiff shows the columns a change touched, before and after.
func changeDiff(e *env, c store.Change, height int) string {
	cols := mapping.Columns(c.Entity)
	var b strings.Builder
	n := 0
	for i, col := range cols {
		var before, after string
		if i < len(c.Before) {
			before = c.Before[i]
		}
		if i < len(c.After) {
			after = c.After[i]
		}
		if before == after || n >= height {
			continue
		}
		n++
		if col == "BSN" { // the history shows that a BSN changed, never the number
			before, after = maskBSN(before), maskBSN(after)
		}
		b.WriteString(fmt.Sprintf("  %-22s %s → %s\n", cut(col, 22), e.st.dim.Render(cut(before, (e.width-30)/2)), cut(after, (e.width-30)/2)))
	}
	return b.String()
}

func maskBSN(s string) string {
	if len(s) < 3 {
		return s
	}
	return strings.Repeat("•", len(s)-2) + s[len(s)-2:]
}
