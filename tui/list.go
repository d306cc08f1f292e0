package tui

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// list is the selection and scrolling of any list: a cursor over n items and the first item
// shown. Every list answers the same keys (↑↓ jk, pgup pgdown, home g, end G) and keeps the
// cursor on screen.
type list struct {
	cursor, offset int
	n              int
	// page is how many rows the last view showed: pgup and pgdown move by it.
	page int
}

// setLen sets the number of items, keeping the cursor inside.
func (l *list) setLen(n int) {
	l.n = n
	l.cursor = max(0, min(l.cursor, n-1))
}

// move handles a list key; ok is false for any other key.
func (l *list) move(m tea.KeyMsg, km *keyMap) bool {
	page := max(1, l.page-1)
	switch {
	case key.Matches(m, km.Up):
		l.cursor--
	case key.Matches(m, km.Down):
		l.cursor++
	case key.Matches(m, km.PageUp):
		l.cursor -= page
		l.offset -= page
	case key.Matches(m, km.PageDown):
		l.cursor += page
		l.offset += page
	case key.Matches(m, km.Home):
		l.cursor = 0
	case key.Matches(m, km.End):
		l.cursor = l.n - 1
	default:
		return false
	}
	l.cursor = max(0, min(l.cursor, l.n-1))
	return true
}

// window returns the items to show in height rows, [start, end), with the cursor among them.
func (l *list) window(height int) (start, end int) {
	height = max(1, height)
	l.page = height
	l.cursor = max(0, min(l.cursor, l.n-1))
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+height {
		l.offset = l.cursor - height + 1
	}
	l.offset = max(0, min(l.offset, l.n-height))
	return l.offset, min(l.n, l.offset+height)
}

// position is the indicator under a list: where the cursor is, and whether more lies above or
// below ("↑ 12/35 ↓").
func (l *list) position(e *env) string {
	if l.n == 0 {
		return ""
	}
	up, down := " ", " "
	if l.offset > 0 {
		up = "↑"
	}
	if l.offset+l.page < l.n {
		down = "↓"
	}
	return e.st.dim.Render(fmt.Sprintf("%s %s %s", up, e.t("tui.list.position", fmt.Sprint(l.cursor+1), fmt.Sprint(l.n)), down))
}

// row renders one row of a list: "> " and highlighted when it is the cursor's.
func (l *list) row(e *env, i int, line string) string {
	line = cut(line, e.width-2)
	if i == l.cursor {
		return e.st.title.Render("> ") + e.st.selected.Render(line)
	}
	return "  " + line
}
