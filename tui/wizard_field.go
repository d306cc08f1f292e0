package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// fieldKind is what a wizard field takes.
type fieldKind int

const (
	textField   fieldKind = iota
	choiceField           // one of a few values, ←/→
	checkField            // on or off, space
)

// field is one input of a wizard step, with its problems shown at it.
type field struct {
	label  string
	kind   fieldKind
	input  textinput.Model
	labels []string // choices as shown
	values []string // choices as stored
	choice int
	check  bool
	// keys are the profile keys (profile.Error.Key) whose problems belong to this field; a key
	// ending in "." takes every key under it.
	keys []string
	err  string // what is wrong, from profile.Validate or the step's live check
	warn string // what may be wrong, without stopping the consultant
	hint string // shown after the value (dim)
	// example is a value of the right form (shown as the empty field's placeholder).
	example string
	// locked says why the value cannot change, when it cannot.
	locked string
}

func (f *field) value() string {
	switch f.kind {
	case choiceField:
		if f.choice < len(f.values) {
			return f.values[f.choice]
		}
		return ""
	case checkField:
		if f.check {
			return "true"
		}
		return "false"
	}
	return strings.TrimSpace(f.input.Value())
}

func (f *field) typing() bool { return f.kind == textField && f.locked == "" }

// owns reports whether a profile key's problem belongs to the field.
func (f *field) owns(k string) bool {
	for _, own := range f.keys {
		if own == k || strings.HasSuffix(own, ".") && strings.HasPrefix(k, own) {
			return true
		}
	}
	return false
}

func newTextField(e *env, label, value, example string) *field {
	in := textinput.New()
	in.SetValue(value)
	if example != "" {
		// "e.g." keeps an example apart from a value where there is no colour (NO_COLOR).
		in.Placeholder = e.t("tui.eg") + example
	}
	in.Prompt = ""
	in.CharLimit = 1024
	return &field{label: e.t(label), kind: textField, input: in, example: example}
}

func newChoiceField(e *env, label string, values, labels []string, cur string) *field {
	f := &field{label: e.t(label), kind: choiceField, values: values, labels: labels}
	f.set(cur)
	return f
}

// set chooses a value, when it is among the choices.
func (f *field) set(v string) {
	for i, c := range f.values {
		if c == v {
			f.choice = i
		}
	}
}

func newCheckField(e *env, label string, v bool) *field {
	return &field{label: e.t(label), kind: checkField, check: v}
}

// form is a step's fields and which one has the cursor.
type form struct {
	fields []*field
	focus  int
}

func (fm *form) cur() *field {
	if fm == nil || fm.focus >= len(fm.fields) {
		return nil
	}
	return fm.fields[fm.focus]
}

func (fm *form) last() bool { return fm == nil || fm.focus >= len(fm.fields)-1 }

// focusCmd focuses the cursor's text field and blurs the others.
func (fm *form) focusCmd() tea.Cmd {
	if fm == nil {
		return nil
	}
	var cmd tea.Cmd
	for i, f := range fm.fields {
		if f.kind != textField {
			continue
		}
		if i == fm.focus && f.locked == "" {
			cmd = f.input.Focus()
		} else {
			f.input.Blur()
		}
	}
	return cmd
}

// key handles the form's keys: moving between fields, choosing, ticking and typing. changed
// reports a new value.
func (fm *form) key(m tea.KeyMsg, km *keyMap) (cmd tea.Cmd, handled, changed bool) {
	if fm == nil || len(fm.fields) == 0 {
		return nil, false, false
	}
	f := fm.cur()
	switch {
	case key.Matches(m, km.FieldNext) && len(fm.fields) > 1:
		fm.focus = (fm.focus + 1) % len(fm.fields)
		return fm.focusCmd(), true, false
	case key.Matches(m, km.FieldPrev) && len(fm.fields) > 1:
		fm.focus = (fm.focus + len(fm.fields) - 1) % len(fm.fields)
		return fm.focusCmd(), true, false
	}
	if f.locked != "" {
		if m.Type == tea.KeyRunes || m.Type == tea.KeyBackspace || m.Type == tea.KeySpace {
			f.err = f.locked
			return nil, true, false
		}
		return nil, false, false
	}
	switch f.kind {
	case textField:
		if m.Type == tea.KeyEnter || m.Type == tea.KeyEsc || m.Type == tea.KeyCtrlC {
			return nil, false, false
		}
		before := f.input.Value()
		var c tea.Cmd
		f.input, c = f.input.Update(m)
		if f.input.Value() != before {
			f.err, f.warn = "", ""
			return c, true, true
		}
		return c, m.Type == tea.KeyRunes || m.Type == tea.KeySpace, false
	case choiceField:
		if key.Matches(m, km.Choose) || key.Matches(m, km.Toggle) {
			n := len(f.values)
			if m.String() == "left" {
				f.choice = (f.choice + n - 1) % n
			} else {
				f.choice = (f.choice + 1) % n
			}
			f.err, f.warn = "", ""
			return nil, true, true
		}
	case checkField:
		if key.Matches(m, km.Toggle) || key.Matches(m, km.Choose) {
			f.check = !f.check
			f.err = ""
			return nil, true, true
		}
	}
	return nil, false, false
}

// view renders the fields, each problem under its field.
func (fm *form) view(e *env) string { return fm.viewIn(e, 0) }

// viewIn renders the fields in room lines (0: as many as there are): when they do not fit, the
// fields around the focused one, with how many more lie above and below.
func (fm *form) viewIn(e *env, room int) string {
	if fm == nil {
		return ""
	}
	blocks := fm.blocks(e)
	heights := make([]int, len(blocks))
	total := 0
	for i, bl := range blocks {
		heights[i] = strings.Count(bl, "\n")
		total += heights[i]
	}
	if room <= 0 || total <= room || len(blocks) == 0 {
		return strings.Join(blocks, "")
	}
	// Grow a window from the focused field, a field at a time below and above, in the room left
	// by the lines that say what lies beyond it.
	n := len(blocks)
	beyond := func(lo, hi int) int {
		m := 0
		if lo > 0 {
			m++
		}
		if hi < n {
			m++
		}
		return m
	}
	focus := min(max(fm.focus, 0), n-1)
	lo, hi, used := focus, focus+1, heights[focus]
	for grew := true; grew; {
		grew = false
		if hi < n && used+heights[hi]+beyond(lo, hi+1) <= room {
			used += heights[hi]
			hi++
			grew = true
		}
		if lo > 0 && used+heights[lo-1]+beyond(lo-1, hi) <= room {
			lo--
			used += heights[lo]
			grew = true
		}
	}
	var b strings.Builder
	if lo > 0 {
		b.WriteString(e.st.dim.Render("  ↑ "+e.t("tui.wizard.more_fields", itoa(lo))) + "\n")
	}
	b.WriteString(strings.Join(blocks[lo:hi], ""))
	if hi < len(blocks) {
		b.WriteString(e.st.dim.Render("  ↓ "+e.t("tui.wizard.more_fields", itoa(len(blocks)-hi))) + "\n")
	}
	return b.String()
}

// blocks renders each field: its line, and its error or warning below it.
func (fm *form) blocks(e *env) []string {
	const labelW = 22
	out := make([]string, 0, len(fm.fields))
	for i, f := range fm.fields {
		var b strings.Builder
		marker := "  "
		if i == fm.focus {
			marker = e.st.title.Render("> ")
		}
		var val string
		switch {
		case f.kind == checkField:
			val = "[ ]"
			if f.check {
				val = "[x]"
			}
		case f.kind == choiceField:
			val = "‹ " + f.labels[f.choice] + " ›"
			if len(f.values) > 1 {
				val += e.st.dim.Render("  " + e.t("tui.wizard.choice_of", itoa(f.choice+1), itoa(len(f.values))))
			}
		case f.locked != "":
			val = f.input.Value()
		default:
			f.input.Width = max(10, e.width-labelW-4)
			val = f.input.View()
		}
		if f.hint != "" {
			val += " " + e.st.dim.Render(f.hint)
		}
		b.WriteString(marker + e.st.label.Render(f.label) + cut(val, e.width-labelW-2) + "\n")
		if f.err != "" {
			b.WriteString(e.st.err.Render(indentLines(wrap("✗ "+f.err, e.width-4), 4)) + "\n")
		} else if f.warn != "" {
			b.WriteString(e.st.warn.Render(indentLines(wrap("! "+f.warn, e.width-4), 4)) + "\n")
		}
		out = append(out, b.String())
	}
	return out
}

// indentLines puts n spaces before every line.
func indentLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = strings.Repeat(" ", n) + lines[i]
	}
	return strings.Join(lines, "\n")
}
