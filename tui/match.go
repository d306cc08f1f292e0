package tui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/matching"
)

// matchScreen is the first sync of an existing customer (koppel match) on screen: pick Xpert
// Suite's exports, read AFAS as a run would, see the counts per outcome, walk the records
// (filtered by outcome, searched with /), decide the open ones and write the link table. A
// decision is applied at once (the match is made again from what was read, nothing is read
// again) and kept in the store when the link table is written. No BSN is shown: records are
// named by key, name and birth date.
type matchScreen struct {
	e    *env
	name string

	phase      matchPhase
	files      [2]textinput.Model // employee export, absence export
	focus      int
	spin       spinner.Model
	prog       *matchProgress
	data       *engine.MatchData
	res        *matching.Result
	keep       []matching.Decision
	newer      []matching.Decision
	rows       []matching.Record
	list       list
	filter     int // index in matchFilters
	partner    int // the chosen partner of the selected record, when it has several
	search     textinput.Model
	searching  bool
	desc       map[matching.Source]map[matching.Key]string // name and birth date per record
	err, note  string
	written    string
	writtenRun string
}

type matchPhase int

const (
	matchPickFiles matchPhase = iota
	matchReading
	matchLists
	matchWriting
)

// matchFilters are the outcome filters t cycles through; "" is every record, "open" the ones
// that wait for a decision.
var matchFilters = []string{"", "open", string(matching.Gekoppeld), string(matching.Kandidaat), string(matching.Conflict),
	string(matching.Dubbelzinnig), string(matching.AlleenAFAS), string(matching.AlleenXS)}

// matchProgress is what reading AFAS reported last, written by the engine's goroutine.
type matchProgress struct {
	mu   sync.Mutex
	text string
}

func (p *matchProgress) set(s string) { p.mu.Lock(); p.text = s; p.mu.Unlock() }
func (p *matchProgress) get() string  { p.mu.Lock(); defer p.mu.Unlock(); return p.text }

type matchReadMsg struct {
	data *engine.MatchData
	err  error
}

type matchWrittenMsg struct {
	out *engine.MatchOutcome
	err error
}

func newMatchScreen(e *env, name string) *matchScreen {
	s := &matchScreen{e: e, name: name, spin: spinner.New(spinner.WithSpinner(spinner.Line)), prog: &matchProgress{}}
	for i := range s.files {
		s.files[i] = textinput.New()
		s.files[i].Prompt = ""
		s.files[i].CharLimit = 4096
	}
	s.files[0].Placeholder = e.t("tui.eg") + "xs-medewerkers.csv"
	s.files[1].Placeholder = e.t("tui.match.optional")
	s.search = textinput.New()
	s.search.Prompt = "/"
	s.search.CharLimit = 100
	return s
}

func (s *matchScreen) init() tea.Cmd { return s.files[0].Focus() }

func (s *matchScreen) typing() bool {
	return s.phase == matchPickFiles || s.searching
}

func (s *matchScreen) keys() []key.Binding {
	km := s.e.km
	switch {
	case s.phase == matchPickFiles:
		return []key.Binding{km.MatchStart, km.FieldNext, km.Back}
	case s.phase == matchReading || s.phase == matchWriting:
		return nil // it ends by itself; ctrl+c quits koppel
	case s.searching:
		return []key.Binding{km.SearchDone, km.SearchClear}
	}
	return []key.Binding{km.Accept, km.Reject, km.Choose, km.Outcome, km.Search, km.WriteTable, km.Back}
}

func (s *matchScreen) fullKeys() []key.Binding {
	return append(s.keys(), s.e.km.listKeys()...)
}

func (s *matchScreen) update(msg tea.Msg) (screen, tea.Cmd) {
	e := s.e
	km := &e.km
	switch m := msg.(type) {
	case spinner.TickMsg:
		if s.phase == matchReading || s.phase == matchWriting {
			var cmd tea.Cmd
			s.spin, cmd = s.spin.Update(m)
			return s, cmd
		}
		return s, nil
	case matchReadMsg:
		if m.err != nil {
			s.phase, s.err = matchPickFiles, s.errText(m.err)
			return s, s.files[s.focus].Focus()
		}
		s.data, s.phase = m.data, matchLists
		s.describe()
		s.rematch()
		return s, nil
	case matchWrittenMsg:
		s.phase = matchLists
		if m.err != nil {
			s.err = s.errText(m.err)
			return s, nil
		}
		s.written, s.writtenRun = m.out.Folder, m.out.Run.ID
		return s, nil
	case tea.KeyMsg:
		return s.key(m, km)
	}
	return s, nil
}

func (s *matchScreen) key(m tea.KeyMsg, km *keyMap) (screen, tea.Cmd) {
	e := s.e
	switch s.phase {
	case matchReading, matchWriting:
		return s, nil
	case matchPickFiles:
		switch {
		case m.Type == tea.KeyEsc:
			return s, e.pop()
		case key.Matches(m, km.FieldNext), key.Matches(m, km.FieldPrev):
			s.files[s.focus].Blur()
			s.focus = 1 - s.focus
			return s, s.files[s.focus].Focus()
		case key.Matches(m, km.MatchStart):
			return s, s.start()
		}
		var cmd tea.Cmd
		s.files[s.focus], cmd = s.files[s.focus].Update(m)
		return s, cmd
	}
	if s.searching {
		switch {
		case key.Matches(m, km.SearchDone):
			s.searching = false
			s.search.Blur()
		case key.Matches(m, km.SearchClear):
			s.searching = false
			s.search.Blur()
			s.search.SetValue("")
			s.filterRows()
		default:
			var cmd tea.Cmd
			s.search, cmd = s.search.Update(m)
			s.filterRows()
			return s, cmd
		}
		return s, nil
	}
	s.err, s.note = "", ""
	if s.list.move(m, km) {
		s.partner = 0
		return s, nil
	}
	switch {
	case key.Matches(m, km.Back):
		return s, e.pop()
	case key.Matches(m, km.Outcome):
		s.filter = (s.filter + 1) % len(matchFilters)
		s.filterRows()
	case key.Matches(m, km.Search):
		s.searching = true
		s.search.CursorEnd()
		return s, s.search.Focus()
	case key.Matches(m, km.Choose):
		if r := s.current(); r != nil && len(r.Ander) > 1 {
			step := 1
			if m.Type == tea.KeyLeft {
				step = len(r.Ander) - 1
			}
			s.partner = (s.partner + step) % len(r.Ander)
		}
	case key.Matches(m, km.Accept):
		s.decide(true)
	case key.Matches(m, km.Reject):
		s.decide(false)
	case key.Matches(m, km.WriteTable):
		return s, s.write()
	}
	return s, nil
}

// start reads the exports and AFAS, off the UI's goroutine.
func (s *matchScreen) start() tea.Cmd {
	e := s.e
	files := engine.MatchFiles{Employees: strings.TrimSpace(s.files[0].Value()), Absences: strings.TrimSpace(s.files[1].Value())}
	if files.Employees == "" {
		s.err = e.t("tui.match.need_employees")
		return nil
	}
	s.err, s.phase = "", matchReading
	s.prog.set(e.t("stage." + engine.StageMatchExports))
	ctx, name, opts, prog := e.ctx, s.name, e.Engine, s.prog
	eng := engine.New(e.Store)
	emit := func(ev engine.Event) {
		switch ev.Type {
		case "stage":
			prog.set(e.t("stage." + ev.Stage))
		case "progress":
			prog.set(e.t("tui.match.reading", ev.Connector, e.Lang.N(ev.Rows, "cli.n.row")))
		}
	}
	return tea.Batch(s.spin.Tick, func() tea.Msg {
		d, err := eng.MatchRead(ctx, name, files, opts, emit)
		return matchReadMsg{data: d, err: err}
	})
}

// write delivers the link table and keeps the decisions.
func (s *matchScreen) write() tea.Cmd {
	if s.res == nil {
		return nil
	}
	s.phase, s.written = matchWriting, ""
	s.prog.set(s.e.t("stage.deliver"))
	eng, ctx, d, res, keep, now := engine.New(s.e.Store), s.e.ctx, s.data, s.res, s.keep, s.e.Now
	return tea.Batch(s.spin.Tick, func() tea.Msg {
		out, err := eng.MatchDeliver(ctx, d, res, keep, false, now)
		return matchWrittenMsg{out: out, err: err}
	})
}

// decide takes the consultant's decision about the selected record: accept its (chosen)
// partner, or leave it unmatched. Decisions are about XS records; an AFAS record's decision is
// about its chosen XS partner.
func (s *matchScreen) decide(accept bool) {
	r := s.current()
	if r == nil || len(r.Ander) == 0 {
		s.note = s.e.t("tui.match.nothing_to_decide")
		return
	}
	other := r.Ander[min(s.partner, len(r.Ander)-1)]
	var d matching.Decision
	switch {
	case r.Bron == matching.FromXS && accept:
		d = matching.Decision{XS: r.Key, AFAS: other}
	case r.Bron == matching.FromXS:
		d = matching.Decision{XS: r.Key}
	case accept:
		d = matching.Decision{XS: other, AFAS: r.Key}
	default:
		d = matching.Decision{XS: other}
	}
	s.newer = matching.MergeDecisions(s.newer, []matching.Decision{d})
	s.written = ""
	s.rematch()
	s.note = s.e.t("tui.match.decided", d.XS.String())
	if !d.AFAS.IsZero() {
		s.note = s.e.t("tui.match.decided_pair", d.XS.String(), d.AFAS.String())
	}
}

// rematch matches again with the decisions taken so far and keeps the cursor on its record.
func (s *matchScreen) rematch() {
	var at *matching.Record
	if r := s.current(); r != nil {
		cp := *r
		at = &cp
	}
	res, keep, err := s.data.Match(s.newer, false)
	if err != nil {
		s.err = s.errText(err)
		return
	}
	s.res, s.keep = res, keep
	s.filterRows()
	if at != nil {
		for i, r := range s.rows {
			if r.Bron == at.Bron && r.Key == at.Key {
				s.list.cursor = i
			}
		}
	}
	s.partner = 0
}

func (s *matchScreen) filterRows() {
	s.rows = s.rows[:0]
	q := strings.ToLower(strings.TrimSpace(s.search.Value()))
	f := matchFilters[s.filter]
	for _, r := range s.res.Employees {
		switch {
		case f == "open" && r.Uitkomst != matching.Kandidaat && r.Uitkomst != matching.Conflict && r.Uitkomst != matching.Dubbelzinnig:
			continue
		case f != "" && f != "open" && string(r.Uitkomst) != f:
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(r.Key.String()+" "+s.desc[r.Bron][r.Key]), q) {
			continue
		}
		s.rows = append(s.rows, r)
	}
	s.list.setLen(len(s.rows))
}

func (s *matchScreen) current() *matching.Record {
	if s.phase != matchLists || len(s.rows) == 0 {
		return nil
	}
	return &s.rows[s.list.cursor]
}

// describe names every record for the screen: initials, surname and birth date; never a BSN.
func (s *matchScreen) describe() {
	s.desc = map[matching.Source]map[matching.Key]string{matching.FromAFAS: {}, matching.FromXS: {}}
	day := func(t interface{ Format(string) string }) string { return t.Format("2006-01-02") }
	for _, a := range s.data.Input.AFAS {
		_, achter, _ := mapping.Names(a.Naamgebruik, a.Voorvoegsel, a.Geboortenaam, a.VoorvoegselPartner, a.GeboortenaamPartner)
		s.desc[matching.FromAFAS][a.Key()] = strings.TrimSpace(a.Voorletters+" "+achter) + ", " + day(a.Geboortedatum)
	}
	for _, x := range s.data.Input.XS {
		s.desc[matching.FromXS][x.Key()] = strings.TrimSpace(x.Voorletters+" "+x.Achternaam) + ", " + day(x.Geboortedatum)
	}
}

func (s *matchScreen) errText(err error) string {
	var xe *engine.ExportError
	switch {
	case errors.As(err, &xe) && xe.Missing != nil:
		return s.e.t("cli.match.missing_columns", xe.File, strings.Join(xe.Missing.Columns, ", "))
	case errors.As(err, &xe):
		return s.e.t("cli.match.unreadable", xe.File, xe.Err.Error())
	case errors.Is(err, context.Canceled):
		return s.e.t("cli.match.cancelled")
	}
	return s.e.errText(err)
}

func (s *matchScreen) view() string {
	e := s.e
	var b strings.Builder
	b.WriteString(e.st.title.Render(e.t("tui.match.title", s.name)) + "\n")
	switch s.phase {
	case matchPickFiles:
		b.WriteString(e.st.dim.Render(wrap(e.t("tui.match.help"), e.width)) + "\n\n")
		for i, label := range []string{e.t("tui.match.employees"), e.t("tui.match.absences")} {
			mark := "  "
			if i == s.focus {
				mark = e.st.title.Render("> ")
			}
			b.WriteString(mark + e.st.label.Render(label) + s.files[i].View() + "\n")
		}
	case matchReading, matchWriting:
		b.WriteString("\n" + s.spin.View() + " " + s.prog.get() + "\n")
	case matchLists:
		b.WriteString(s.listView())
	}
	if s.note != "" {
		b.WriteString("\n" + wrap(s.note, e.width) + "\n")
	}
	if s.written != "" {
		b.WriteString("\n" + e.st.ok.Render(wrap(e.t("tui.match.written", s.written), e.width)) + "\n")
	}
	if s.err != "" {
		b.WriteString("\n" + e.st.err.Render(wrap(s.err, e.width)) + "\n")
	}
	return b.String()
}

func (s *matchScreen) listView() string {
	e := s.e
	var b strings.Builder
	sum := s.res.Summary
	m := sum.Medewerkers
	b.WriteString(wrap(e.t("tui.match.counts", itoa(m.Gekoppeld), itoa(m.Kandidaat), itoa(m.Conflict), itoa(m.Dubbelzinnig), itoa(m.AlleenAFAS), itoa(m.AlleenXS)), e.width) + "\n")
	if v := sum.Verzuim; v != nil {
		b.WriteString(wrap(e.t("tui.match.absence_counts", itoa(v.Gekoppeld), itoa(v.Dubbelzinnig), itoa(v.AlleenAFAS), itoa(v.AlleenXS)), e.width) + "\n")
	}
	shownProblems := 0
	if n := len(s.data.Problems); n > 0 {
		b.WriteString(e.st.warn.Render(cut(e.t("tui.match.skipped", itoa(n)), e.width)) + "\n")
		// The first ones by line, so an export to fix is seen at once; all are in the log.
		for _, p := range s.data.Problems[:min(2, n)] {
			p.File = filepath.Base(p.File)
			b.WriteString(e.st.dim.Render(cut("  "+engine.ProblemText(e.Lang, p), e.width)) + "\n")
			shownProblems++
		}
	}
	open := m.Kandidaat + m.Conflict + m.Dubbelzinnig
	if open > 0 {
		b.WriteString(e.st.warn.Render(e.t("tui.match.open", itoa(open))) + "\n")
	} else {
		b.WriteString(e.st.ok.Render(e.t("tui.match.none_open")) + "\n")
	}
	filter := e.t("tui.match.filter_all")
	if f := matchFilters[s.filter]; f == "open" {
		filter = e.t("tui.match.filter_open")
	} else if f != "" {
		filter = e.t("match.outcome." + f)
	}
	line := e.t("tui.match.filter", filter)
	if s.searching {
		line += "  " + s.search.View()
	} else if q := s.search.Value(); q != "" {
		line += "  /" + q
	}
	b.WriteString(e.st.dim.Render(line) + "\n")
	const outW, srcW, keyW, methW = 13, 5, 15, 8
	b.WriteString(e.st.dim.Render("  "+pad(e.t("tui.match.col.outcome"), outW)+" "+pad(e.t("tui.match.col.source"), srcW)+" "+pad(e.t("tui.match.col.key"), keyW)+" "+pad(e.t("tui.match.col.method"), methW)+" "+e.t("tui.match.col.other")) + "\n")
	// Title, counts (3–4), filter, header; below: position, the selected record (3), messages (4).
	start, end := s.list.window(e.height - 1 - 7 - 8 - shownProblems)
	for i := start; i < end; i++ {
		r := s.rows[i]
		var others []string
		for _, k := range r.Ander {
			others = append(others, k.String())
		}
		b.WriteString(s.list.row(e, i, pad(e.t("match.outcome."+string(r.Uitkomst)), outW)+" "+pad(string(r.Bron), srcW)+" "+pad(r.Key.String(), keyW)+" "+pad(string(r.Methode), methW)+" "+strings.Join(others, ", ")) + "\n")
	}
	if len(s.rows) == 0 {
		b.WriteString("  " + e.t("tui.match.no_rows") + "\n")
	}
	b.WriteString(s.list.position(e) + "\n")
	if r := s.current(); r != nil {
		b.WriteString(wrap(fmt.Sprintf("%s %s: %s", sourceName(e, r.Bron), r.Key, s.desc[r.Bron][r.Key]), e.width) + "\n")
		otherSrc := matching.FromXS
		if r.Bron == matching.FromXS {
			otherSrc = matching.FromAFAS
		}
		for i, k := range r.Ander {
			mark := "  "
			if len(r.Ander) > 1 && i == s.partner {
				mark = e.st.title.Render("→ ")
			}
			b.WriteString(mark + cut(fmt.Sprintf("%s %s: %s", sourceName(e, otherSrc), k, s.desc[otherSrc][k]), e.width-2) + "\n")
		}
	}
	return b.String()
}

func sourceName(e *env, s matching.Source) string { return e.t("tui.match.source." + string(s)) }

// runCouplings names what a run in the history did: its couplings, or the first-sync match.
func runCouplings(e *env, r *store.Run) string {
	if r.Kind == store.KindMatch {
		return e.t("cli.run_kind.match")
	}
	return couplingNames(e, r.Couplings)
}
