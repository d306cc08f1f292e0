package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// Tabs of the run details.
const (
	tabLog = iota
	tabChanges
)

// changeKinds are the kinds of change, in the order the filter cycles through them.
var changeKinds = []string{"Nieuw", "Gewijzigd", "Verwijderd"}

// runDetail shows one run: summary, the log (filtered by level and entity, searchable, each line
// open in full with enter) and the changes (filtered by entity and kind, searchable, paged).
type runDetail struct {
	e       *env
	run     *store.Run
	logs    []runlog.Log
	changes []store.Change
	err     string
	tab     int
	// The log tab.
	minLevel  runlog.Level
	logEntity string
	logQuery  string
	logList   list
	logShown  []int // indexes into logs that pass the filters
	// The changes tab.
	chEntity string
	chKind   string
	chQuery  string
	chList   list
	chShown  []int
	// open shows the selected line or change in full; diffOff scrolls an open change.
	open      bool
	diffOff   int
	search    textinput.Model
	searching bool
	// cols names each entity's columns as the profile's files do (rundetail_columns.go).
	cols columnNames
	// asking is the question to take the delivery out of the upload queue; note says it was.
	asking *confirm
	note   string
}

func newRunDetail(e *env, r *store.Run) *runDetail {
	d := &runDetail{e: e, run: r, cols: newColumnNames(e, r.Profile)}
	var err error
	if d.logs, err = e.Store.RunLogs(r.ID); err != nil {
		d.err = e.errText(err)
	}
	if d.changes, err = e.Store.RunChanges(r.ID); err != nil {
		d.err = e.errText(err)
	}
	d.search = textinput.New()
	d.search.Prompt = "/"
	d.search.CharLimit = 100
	d.filter()
	return d
}

func (d *runDetail) typing() bool { return d.searching }

func (d *runDetail) keys() []key.Binding {
	km := d.e.km
	switch {
	case d.asking != nil:
		return d.asking.keys()
	case d.searching:
		return []key.Binding{km.SearchDone, km.SearchClear}
	}
	var out []key.Binding
	if d.tab == tabLog {
		out = []key.Binding{km.Full, km.Search, km.Tab, km.Back, km.Explain, km.Levels, km.Entity}
	} else {
		out = []key.Binding{km.Full, km.Search, km.Tab, km.Back, km.Explain, km.Entity, km.Kind}
	}
	if d.queued() {
		out = append(out, km.Skip)
	}
	return out
}

func (d *runDetail) fullKeys() []key.Binding {
	km := d.e.km
	out := append([]key.Binding{km.Tab, km.Full, km.Explain, km.Levels, km.Entity, km.Kind, km.Search, km.Back}, km.listKeys()...)
	if d.queued() {
		out = append(out, km.Skip)
	}
	return out
}

// queued tells whether the run's delivery waits in the upload queue (it can be taken out).
func (d *runDetail) queued() bool {
	u := d.run.Upload
	return d.run.HasDelivery() && u != nil && u.Status == store.UploadQueued
}

// skipConfirm says what taking the delivery out of the queue means for Xpert Suite.
func (d *runDetail) skipConfirm() *confirm {
	e := d.e
	q := e.t("tui.detail.confirm_skip", d.run.ID, d.run.Delivery)
	if d.run.Mode == profile.ModeMutaties {
		q += " " + e.t("tui.detail.skip_mutaties")
	}
	return newConfirm(e, q, e.t("tui.confirm.keep_queued"), e.t("tui.confirm.skip"))
}

// skip takes the delivery out of the upload queue (engine.SkipUpload, as koppel push --skip).
func (d *runDetail) skip() {
	e := d.e
	run, _, err := engine.New(e.Store).SkipUpload(e.ctx, d.run.Profile, d.run.ID, time.Now())
	if err != nil {
		d.err = e.errText(err)
		return
	}
	d.run.Upload = run.Upload
	d.err, d.note = "", e.t("tui.detail.skipped", d.run.ID)
}

func (d *runDetail) cur() *list {
	if d.tab == tabLog {
		return &d.logList
	}
	return &d.chList
}

func (d *runDetail) update(msg tea.Msg) (screen, tea.Cmd) {
	m, ok := msg.(tea.KeyMsg)
	if !ok {
		return d, nil
	}
	km := &d.e.km
	if d.asking != nil {
		if done, yes := d.asking.answer(m); done {
			d.asking = nil
			if yes {
				d.skip()
			}
		}
		return d, nil
	}
	if d.searching {
		switch {
		case key.Matches(m, km.SearchDone):
			d.searching = false
			d.search.Blur()
		case key.Matches(m, km.SearchClear):
			d.searching = false
			d.search.Blur()
			d.search.SetValue("")
			d.setQuery("")
		default:
			var cmd tea.Cmd
			d.search, cmd = d.search.Update(m)
			d.setQuery(d.search.Value())
			return d, cmd
		}
		return d, nil
	}
	if d.open && d.tab == tabChanges {
		if d.scrollDiff(m) {
			return d, nil
		}
	} else if d.cur().move(m, km) {
		return d, nil
	}
	switch {
	case key.Matches(m, km.Back):
		if d.open {
			d.open = false
			return d, nil
		}
		return d, d.e.pop()
	case key.Matches(m, km.Explain):
		return d, d.explain()
	case key.Matches(m, km.Skip) && d.queued():
		d.asking = d.skipConfirm()
	case key.Matches(m, km.Tab):
		d.tab = 1 - d.tab
		d.open = false
	case key.Matches(m, km.Full):
		d.open = !d.open
		d.diffOff = 0
	case key.Matches(m, km.Search):
		d.searching = true
		d.search.SetValue(d.query())
		d.search.CursorEnd()
		return d, d.search.Focus()
	case key.Matches(m, km.Entity):
		if d.tab == tabLog {
			d.logEntity = next(d.entities(), d.logEntity)
		} else {
			d.chEntity = next(d.entities(), d.chEntity)
		}
		d.filter()
	case d.tab == tabLog && key.Matches(m, km.Levels):
		d.minLevel = runlog.Level(m.String()[0] - '1')
		d.filter()
	case d.tab == tabChanges && key.Matches(m, km.Kind):
		d.chKind = next(changeKinds, d.chKind)
		d.filter()
	}
	return d, nil
}

// explain opens the explanation of the selected line's employee (explain.go).
func (d *runDetail) explain() tea.Cmd {
	pn := ""
	switch {
	case d.tab == tabLog && len(d.logShown) > 0:
		pn = employeeOfLog(d.logs[d.logShown[d.logList.cursor]], d.changes)
	case d.tab == tabChanges && len(d.chShown) > 0:
		pn = employeeOfChange(d.changes[d.chShown[d.chList.cursor]])
	}
	p, err := d.e.Store.Profile(d.run.Profile)
	switch {
	case err != nil:
		d.err = d.e.errText(err)
	case pn == "":
		d.err = d.e.t("tui.explain.no_employee")
	default:
		if d.err == d.e.t("tui.explain.no_employee") {
			d.err = ""
		}
		return d.e.push(newExplainScreen(d.e, p.Name, medewerkerOf(p, pn)))
	}
	return nil
}

// next cycles "" (all) → each value → "".
func next(vals []string, cur string) string {
	i := slices.Index(vals, cur)
	if i+1 >= len(vals) {
		return ""
	}
	return vals[i+1]
}

func (d *runDetail) query() string {
	if d.tab == tabLog {
		return d.logQuery
	}
	return d.chQuery
}

func (d *runDetail) setQuery(q string) {
	if d.tab == tabLog {
		d.logQuery = q
	} else {
		d.chQuery = q
	}
	d.filter()
}

// entities are the entities the current tab has entries of, in file order.
func (d *runDetail) entities() []string {
	seen := map[string]bool{}
	if d.tab == tabLog {
		for _, l := range d.logs {
			seen[l.Entity] = true
		}
	} else {
		for _, c := range d.changes {
			seen[c.Entity] = true
		}
	}
	var out []string
	for _, ent := range runEntities {
		if seen[ent] {
			out = append(out, ent)
		}
	}
	return out
}

// filter recomputes what each tab shows.
func (d *runDetail) filter() {
	e := d.e
	q := strings.ToLower(d.logQuery)
	d.logShown = d.logShown[:0]
	for i, l := range d.logs {
		if l.Level < d.minLevel || d.logEntity != "" && l.Entity != d.logEntity {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(logText(e, l)), q) {
			continue
		}
		d.logShown = append(d.logShown, i)
	}
	d.logList.setLen(len(d.logShown))
	q = strings.ToLower(d.chQuery)
	d.chShown = d.chShown[:0]
	for i, c := range d.changes {
		if d.chEntity != "" && c.Entity != d.chEntity || d.chKind != "" && c.Kind != d.chKind {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(displayKey(c.Key)+" "+strings.Join(c.After, " ")+" "+strings.Join(c.Before, " ")), q) {
			continue
		}
		d.chShown = append(d.chShown, i)
	}
	d.chList.setLen(len(d.chShown))
}

func (d *runDetail) view() string {
	e := d.e
	r := d.run
	var b strings.Builder
	b.WriteString(e.st.title.Render(e.t("tui.detail.title", r.ID)) + "  " + styledStatus(e, r) + "\n")
	b.WriteString(cut(fmt.Sprintf("%s · %s · %s · %s", r.Profile, runCouplings(e, r), r.Mode, r.Started.Local().Format("2006-01-02 15:04:05")), e.width) + "\n")
	switch {
	case r.Delivery != "":
		// The details are where the full path is shown.
		b.WriteString(hang(e.t("run.delivered", r.Delivery), e.width, 2) + "\n")
		b.WriteString(uploadLine(e, r))
		if d.asking != nil {
			b.WriteString(d.asking.view())
		}
		if d.note != "" {
			b.WriteString(e.st.ok.Render(wrap(d.note, e.width)) + "\n")
		}
	case r.DryRun:
		b.WriteString(e.st.dim.Render(wrap(e.t("tui.summary.preview"), e.width)) + "\n")
	}
	if r.Error != "" {
		lines := strings.Split(wrap(r.ErrorText(e.Lang.T), e.width), "\n")
		if len(lines) > 3 {
			lines = append(lines[:2], cut(strings.Join(lines[2:], " "), e.width))
		}
		b.WriteString(e.st.err.Render(joinLines(lines)) + "\n")
	}
	if d.tab == tabLog {
		// The changes tab needs the room for its list and the change's columns.
		counts := map[string]store.EntityCounts{}
		for k, v := range r.Entities {
			counts[k] = *v
		}
		b.WriteString(countsTable(e, counts, r.HasDelivery()))
	}
	if d.err != "" {
		b.WriteString(e.st.err.Render(wrap(d.err, e.width)) + "\n")
	}
	tabs := []string{e.t("tui.detail.log", fmt.Sprint(len(d.logs))), e.t("tui.detail.changes", fmt.Sprint(len(d.changes)))}
	for i := range tabs {
		if i == d.tab {
			tabs[i] = e.st.selected.Render("[" + tabs[i] + "]")
		} else {
			tabs[i] = " " + tabs[i] + " "
		}
	}
	b.WriteString("\n" + strings.Join(tabs, " ") + "\n")
	b.WriteString(d.filterLine() + "\n")
	// What is left for the list, its position line and what is open.
	height := e.height - 1 - lineCount(b.String()) + 1
	if d.tab == tabLog {
		b.WriteString(d.logView(height))
	} else {
		b.WriteString(d.changesView(height))
	}
	return b.String()
}

func (d *runDetail) filterLine() string {
	e := d.e
	var parts []string
	if d.tab == tabLog {
		parts = append(parts, e.t("tui.detail.from_level", e.t("level."+d.minLevel.String())))
		if d.logEntity != "" {
			parts = append(parts, e.t("entity."+d.logEntity))
		}
		parts = append(parts, e.t("tui.detail.lines", fmt.Sprint(len(d.logShown))))
	} else {
		if d.chEntity != "" {
			parts = append(parts, e.t("entity."+d.chEntity))
		}
		if d.chKind != "" {
			parts = append(parts, kindText(e, d.chKind))
		}
		if len(parts) == 0 {
			parts = append(parts, e.t("tui.detail.all"))
		}
		n := e.t("tui.detail.change_count", fmt.Sprint(len(d.chShown)))
		if len(d.changes) >= store.MaxChanges {
			n = e.t("tui.detail.changes_kept", fmt.Sprint(len(d.chShown)), fmt.Sprint(store.MaxChanges))
		}
		parts = append(parts, n)
	}
	s := e.st.dim.Render(strings.Join(parts, " · "))
	if d.searching || d.query() != "" {
		if d.searching {
			s += "  " + d.search.View()
		} else {
			s += "  /" + d.query()
		}
	}
	return s
}

func (d *runDetail) logView(height int) string {
	e := d.e
	var b strings.Builder
	if len(d.logShown) == 0 {
		return e.st.dim.Render(e.t("tui.detail.no_lines")) + "\n"
	}
	if note := d.uitvalNote(); note != "" {
		b.WriteString(note + "\n")
		height -= lineCount(note)
	}
	var open string
	if d.open {
		open = d.openLog(d.logs[d.logShown[d.logList.cursor]])
		height -= lineCount(open)
	}
	start, end := d.logList.window(max(1, height-1))
	for i := start; i < end; i++ {
		b.WriteString(d.logList.row(e, i, logLine(e, d.logs[d.logShown[i]])) + "\n")
	}
	b.WriteString(d.logList.position(e) + "\n")
	if open != "" {
		b.WriteString(open)
	}
	return b.String()
}

// openLog shows a log entry in full: level, the record, the whole message wrapped.
func (d *runDetail) openLog(l runlog.Log) string {
	e := d.e
	head := []string{e.t("level." + l.Level.String())}
	if l.Entity != "" {
		head = append(head, e.t("entity."+l.Entity))
	}
	if l.Key != "" {
		head = append(head, displayKey(l.Key))
	}
	return e.st.subtitle.Render(cut("── "+strings.Join(head, " · ")+" ──", e.width)) + "\n" + wrap(e.t(l.Code, l.Args...), e.width) + "\n"
}

// scrollDiff scrolls an open change's columns.
func (d *runDetail) scrollDiff(m tea.KeyMsg) bool {
	km := &d.e.km
	switch {
	case key.Matches(m, km.Up):
		d.diffOff--
	case key.Matches(m, km.Down):
		d.diffOff++
	case key.Matches(m, km.PageUp):
		d.diffOff -= 10
	case key.Matches(m, km.PageDown):
		d.diffOff += 10
	case key.Matches(m, km.Home):
		d.diffOff = 0
	case key.Matches(m, km.End):
		d.diffOff = 1 << 20
	default:
		return false
	}
	d.diffOff = max(0, d.diffOff)
	return true
}

// openChange shows one change in full: every column it touched, scrolled with the list keys.
func (d *runDetail) openChange(c store.Change, height int) string {
	e := d.e
	var b strings.Builder
	lines := diffLines(e, c, 1<<20, d.cols)
	rows := max(1, height-2)
	d.diffOff = max(0, min(d.diffOff, len(lines)-rows))
	b.WriteString(e.st.subtitle.Render(cut("── "+kindText(e, c.Kind)+" · "+e.t("entity."+c.Entity)+" · "+displayKey(c.Key)+" ──", e.width)) + "\n")
	for _, l := range lines[d.diffOff:min(len(lines), d.diffOff+rows)] {
		b.WriteString(l + "\n")
	}
	if len(lines) > rows {
		b.WriteString(e.st.dim.Render(e.t("tui.run.log_lines", fmt.Sprint(d.diffOff+1), fmt.Sprint(min(len(lines), d.diffOff+rows)))+" / "+fmt.Sprint(len(lines))) + "\n")
	}
	return b.String()
}

func (d *runDetail) changesView(height int) string {
	e := d.e
	var b strings.Builder
	if len(d.changes) == 0 {
		return e.t("tui.detail.no_changes") + "\n"
	}
	if len(d.chShown) == 0 {
		return e.st.dim.Render(e.t("tui.detail.no_match")) + "\n"
	}
	c := d.changes[d.chShown[d.chList.cursor]]
	if d.open {
		return d.openChange(c, height)
	}
	diffRows := len(diffLines(e, c, 1000, d.cols))
	listRows := max(3, height-1-1-min(diffRows, (height-2)/2))
	diff := diffLines(e, c, height-1-listRows-1, d.cols)
	start, end := d.chList.window(listRows)
	for i := start; i < end; i++ {
		ch := d.changes[d.chShown[i]]
		b.WriteString(d.chList.row(e, i, pad(kindText(e, ch.Kind), 11)+pad(e.t("entity."+ch.Entity), 16)+displayKey(ch.Key)) + "\n")
	}
	b.WriteString(d.chList.position(e) + "\n")
	b.WriteString(e.st.subtitle.Render(cut("── "+kindText(e, c.Kind)+" · "+e.t("entity."+c.Entity)+" · "+displayKey(c.Key)+" ──", e.width)) + "\n")
	for _, l := range diff {
		b.WriteString(l + "\n")
	}
	return b.String()
}

func kindText(e *env, kind string) string { return e.t("tui.kind." + strings.ToLower(kind)) }

// diffLines shows the columns a change touched, before and after (at most n lines; the last
// says how many more there are).
func diffLines(e *env, c store.Change, n int, names columnNames) []string {
	cols, omitted := names.of(c.Entity)
	var out []string
	for i, col := range cols {
		var before, after string
		if i < len(c.Before) {
			before = c.Before[i]
		}
		if i < len(c.After) {
			after = c.After[i]
		}
		if before == after {
			continue
		}
		if mapping.Columns(c.Entity)[i] == "BSN" { // the history shows that a BSN changed, never the number
			before, after = mapping.MaskBSN(before), mapping.MaskBSN(after)
		}
		if before == "" {
			before = "—"
		}
		if after == "" {
			after = "—"
		}
		w := max(8, (e.width-28)/2)
		line := fmt.Sprintf("  %s %s → %s", pad(col, 24), e.st.dim.Render(cut(before, w)), cut(after, w))
		if omitted[i] { // compared, but the file leaves it out
			line += e.st.dim.Render(" (" + e.t("tui.detail.not_delivered") + ")")
		}
		out = append(out, line)
	}
	if n > 0 && len(out) > n {
		more := len(out) - n + 1
		out = append(out[:n-1], e.st.dim.Render("  "+e.t("tui.detail.more_columns", fmt.Sprint(more))))
	}
	if n <= 0 {
		return nil
	}
	return out
}

// uitvalNote, on the Uitval level, compares the records counted as Uitval per entity with those
// the log names, and says where a counted one has no line of its own.
func (d *runDetail) uitvalNote() string {
	e := d.e
	if d.minLevel != runlog.Uitval {
		return ""
	}
	named := map[string]map[string]bool{}
	for _, l := range d.logs {
		if l.Level == runlog.Uitval && l.Entity != "" {
			if named[l.Entity] == nil {
				named[l.Entity] = map[string]bool{}
			}
			named[l.Entity][l.Key] = true
		}
	}
	var parts, missing []string
	for _, ent := range runEntities {
		c := d.run.Entities[ent]
		n := len(named[ent])
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", e.t("entity."+ent), n))
		}
		if c != nil && c.Rejected > n {
			code := "tui.detail.uitval_unlogged"
			if ent == mapping.Employees {
				code = "tui.detail.uitval_missing"
			}
			missing = append(missing, e.t(code, e.t("entity."+ent), fmt.Sprint(c.Rejected-n)))
		}
	}
	if len(parts) == 0 && len(missing) == 0 {
		return ""
	}
	out := e.t("tui.detail.uitval_log", strings.Join(parts, ", "))
	if len(missing) > 0 {
		out += " " + strings.Join(missing, " ")
	}
	return e.st.dim.Render(wrap(out, e.width))
}
