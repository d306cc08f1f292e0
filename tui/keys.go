package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

// keyMap is the UI's one keymap: every key any screen answers, with its help text. Screens pick
// the bindings they answer; a key means the same thing wherever it appears. Confirmations answer
// only enter (on the focused choice), esc and, in English, y: none of those moves in a list, so a
// key meant for a list never answers a question (see confirm.go).
type keyMap struct {
	// Lists.
	Up, Down, PageUp, PageDown, Home, End key.Binding
	// Everywhere.
	Help, Back, Quit, Open key.Binding
	// Profiles.
	New, Edit, Verify, Run, Preview, History, Delete key.Binding
	// Runs.
	Cancel, Allow, Deliver, OpenRun, Skip key.Binding
	// Run details.
	Levels, Search, SearchDone, SearchClear, Tab, Entity, Kind, Full key.Binding
	// Explain one employee.
	Explain, ExplainGo, ExplainDay key.Binding
	// Verify and the wizard.
	Recheck, SaveDefs, Next, PrevStep, FieldNext, FieldPrev, Toggle, Choose, Save, SaveRun, SaveDraft, ShowToken, PinHostKey key.Binding
	// The wizard's column editor (a ctrl key: letters are typed into its fields).
	Columns key.Binding
	// The first-sync match.
	Match, MatchStart, Accept, Reject, Outcome, WriteTable key.Binding
	// Confirmations.
	ConfirmMove, ConfirmAnswer, ConfirmNo, ConfirmYes key.Binding
	// The poortwachter view (from a profile's details and the run screen).
	Periods key.Binding
}

func newKeyMap(e *env) keyMap {
	k := func(code string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(keys[0], e.t(code)))
	}
	withHelp := func(b key.Binding, shown string) key.Binding {
		b.SetHelp(shown, b.Help().Desc)
		return b
	}
	km := keyMap{
		Up:       withHelp(k("tui.key.up", "up", "k"), "↑/k"),
		Down:     withHelp(k("tui.key.down", "down", "j"), "↓/j"),
		PageUp:   k("tui.key.pgup", "pgup"),
		PageDown: k("tui.key.pgdown", "pgdown"),
		Home:     withHelp(k("tui.key.home", "home", "g"), "home/g"),
		End:      withHelp(k("tui.key.end", "end", "G"), "end/G"),

		Help: withHelp(k("tui.key.help", "?", "f1"), "?"),
		Back: k("tui.key.back", "esc", "q"),
		Quit: k("tui.key.quit", "q", "ctrl+c"),
		Open: k("tui.key.details", "enter"),

		New:     k("tui.key.new", "n"),
		Edit:    k("tui.key.edit", "e"),
		Verify:  k("tui.key.verify", "v"),
		Run:     k("tui.key.run", "r"),
		Preview: k("tui.key.preview", "p"),
		History: k("tui.key.history", "h"),
		Delete:  k("tui.key.delete", "d"),

		Cancel:  k("tui.key.cancel", "esc", "ctrl+c"),
		Allow:   k("tui.key.allow", "a"),
		Deliver: k("tui.key.deliver", "r"),
		OpenRun: k("tui.key.open_run", "enter"),
		Skip:    k("tui.key.skip", "u"),

		Levels:      withHelp(k("tui.key.levels", "1", "2", "3", "4"), "1-4"),
		Search:      k("tui.key.search", "/"),
		SearchDone:  k("tui.key.search_done", "enter"),
		SearchClear: k("tui.key.search_clear", "esc"),
		Tab:         k("tui.key.tab", "tab"),
		Entity:      k("tui.key.entity", "e"),
		Kind:        k("tui.key.kind", "t"),
		Full:        k("tui.key.full", "enter"),
		Explain:     k("tui.key.explain", "x"),
		ExplainGo:   k("tui.key.explain_go", "enter"),
		ExplainDay:  k("tui.key.explain_day", "o"),

		Recheck:    k("tui.key.recheck", "c"),
		SaveDefs:   k("tui.key.save_defs", "s"),
		Next:       k("tui.key.next", "enter"),
		PrevStep:   k("tui.key.prev_step", "esc"),
		FieldNext:  withHelp(k("tui.key.field_next", "tab", "down"), "tab/↓"),
		FieldPrev:  withHelp(k("tui.key.field_prev", "shift+tab", "up"), "⇧tab/↑"),
		Toggle:     withHelp(k("tui.key.toggle", " "), "spatie"),
		Choose:     withHelp(k("tui.key.choose", "left", "right"), "←/→"),
		Save:       k("tui.key.save", "enter"),
		SaveRun:    k("tui.key.save_run", "r"),
		SaveDraft:  k("tui.key.save_draft", "ctrl+s"),
		ShowToken:  k("tui.key.show_token", "ctrl+t"),
		Columns:    k("tui.key.columns", "ctrl+o"),
		PinHostKey: k("tui.key.pin_host_key", "ctrl+p"),

		Match:      k("tui.key.match", "m"),
		MatchStart: k("tui.key.match_start", "enter"),
		Accept:     k("tui.key.accept", "a"),
		Reject:     k("tui.key.reject", "x"),
		Outcome:    k("tui.key.outcome", "t"),
		WriteTable: k("tui.key.write_table", "w"),

		ConfirmMove:   withHelp(k("tui.key.confirm_move", "left", "right", "tab", "shift+tab"), "←/→"),
		ConfirmAnswer: k("tui.key.confirm_answer", "enter"),
		ConfirmNo:     k("tui.key.confirm_no", "esc"),
		ConfirmYes:    k("tui.key.confirm_yes", e.t("tui.confirm.letter")),

		Periods: k("tui.key.periods", "w"),
	}
	if e.t("tui.confirm.letter") == "-" {
		// Dutch has no letter of its own for yes that no list uses (j moves down).
		km.ConfirmYes.SetEnabled(false)
	}
	km.Toggle.SetHelp(e.t("tui.key.space"), e.t("tui.key.toggle"))
	return km
}

// listKeys are the keys of every list, for the full help.
func (km keyMap) listKeys() []key.Binding {
	return []key.Binding{km.Up, km.Down, km.PageUp, km.PageDown, km.Home, km.End}
}

// newHelp is bubbles/help in the UI's styles (plain under NO_COLOR).
func newHelp(st styles) help.Model {
	h := help.New()
	h.Styles = help.Styles{
		Ellipsis:       st.help,
		ShortKey:       st.helpKey,
		ShortDesc:      st.help,
		ShortSeparator: st.help,
		FullKey:        st.helpKey,
		FullDesc:       st.help,
		FullSeparator:  st.help,
	}
	return h
}

// shortBar renders the short help on at most two lines: the screen's keys in order, as many as
// fit, and always the help key last, so the full list is one key away at any width.
func shortBar(h help.Model, ks []key.Binding, helpKey key.Binding, width int) string {
	h.Width = 0
	var on []key.Binding
	for _, k := range ks {
		if k.Enabled() {
			on = append(on, k)
		}
	}
	fits := func(bs []key.Binding) bool { return lipgloss.Width(h.ShortHelpView(bs)) <= width }
	// The first line takes what fits; the second the rest, with the help key.
	n := 0
	for n < len(on) && fits(on[:n+1]) {
		n++
	}
	if n == len(on) && fits(append(append([]key.Binding{}, on...), helpKey)) {
		return h.ShortHelpView(append(append([]key.Binding{}, on...), helpKey))
	}
	first := h.ShortHelpView(on[:n])
	rest := append([]key.Binding{}, on[n:]...)
	for len(rest) > 0 && !fits(append(append([]key.Binding{}, rest...), helpKey)) {
		rest = rest[:len(rest)-1]
	}
	second := h.ShortHelpView(append(rest, helpKey))
	if n == 0 {
		return second
	}
	return first + "\n" + second
}

// fullHelp renders every key of a screen in columns that fit the width.
func fullHelp(h help.Model, ks []key.Binding, width int) string {
	var on []key.Binding
	seen := map[string]bool{}
	for _, k := range ks {
		id := k.Help().Key + "\x00" + k.Help().Desc
		if k.Enabled() && !seen[id] {
			seen[id] = true
			on = append(on, k)
		}
	}
	h.Width = width
	best := ""
	for rows := 3; rows <= len(on)+1; rows++ {
		var groups [][]key.Binding
		for i := 0; i < len(on); i += rows {
			groups = append(groups, on[i:min(len(on), i+rows)])
		}
		h.Width = 0
		v := h.FullHelpView(groups)
		if lipgloss.Width(v) <= width {
			return v
		}
		best = v
	}
	h.Width = width
	if best == "" {
		return ""
	}
	// Not even one column fits: one key a line, cut.
	var lines []string
	for _, k := range on {
		lines = append(lines, cut(k.Help().Key+" "+k.Help().Desc, width))
	}
	return joinLines(lines)
}
