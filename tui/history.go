package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/store"
)

// history lists a profile's runs, newest first.
type history struct {
	e    *env
	name string
	runs []*store.Run
	list list
	err  string
}

func newHistory(e *env, name string) *history {
	h := &history{e: e, name: name}
	h.load()
	return h
}

func (h *history) load() {
	runs, err := h.e.Store.Runs(h.name)
	h.err = ""
	if err != nil {
		h.err = h.e.errText(err)
	}
	h.runs = runs
	h.list.setLen(len(runs))
}

func (h *history) keys() []key.Binding {
	km := h.e.km
	return []key.Binding{km.OpenRun, km.Back, km.Down, km.Up, km.PageDown, km.PageUp, km.Home, km.End}
}

func (h *history) update(msg tea.Msg) (screen, tea.Cmd) {
	km := &h.e.km
	switch m := msg.(type) {
	case refreshMsg:
		h.load()
	case tea.KeyMsg:
		if h.list.move(m, km) {
			return h, nil
		}
		switch {
		case key.Matches(m, km.Back):
			return h, h.e.pop()
		case key.Matches(m, km.OpenRun) && len(h.runs) > 0:
			return h, h.e.push(newRunDetail(h.e, h.runs[h.list.cursor]))
		}
	}
	return h, nil
}

func (h *history) view() string {
	e := h.e
	var b strings.Builder
	b.WriteString(e.st.title.Render(e.t("tui.history.title", h.name)) + "\n\n")
	if h.err != "" {
		b.WriteString(e.st.err.Render(wrap(h.err, e.width)) + "\n")
	}
	if len(h.runs) == 0 {
		b.WriteString(e.t("tui.history.empty") + "\n")
		return b.String()
	}
	const startW, coupW, statusW, durW = 11, 18, 11, 7
	cols := func(start, coup, status, dur string) string {
		return strings.TrimRight(pad(start, startW)+" "+pad(coup, coupW)+" "+pad(status, statusW)+" "+padLeft(dur, durW), " ")
	}
	b.WriteString(e.st.dim.Render("  "+cols(e.t("tui.col.started"), e.t("tui.col.couplings"), e.t("tui.col.status"), e.t("tui.col.duration"))) + "\n")
	// Title, blank, header; below: position, blank, the selected run's summary (up to 3 lines).
	start, end := h.list.window(e.height - 1 - 3 - 5)
	for i := start; i < end; i++ {
		r := h.runs[i]
		b.WriteString(h.list.row(e, i, cols(r.Started.Local().Format("02-01 15:04"), runCouplings(e, r), runStatus(e, r), fmtDuration(r))) + "\n")
	}
	b.WriteString(h.list.position(e) + "\n\n")
	r := h.runs[h.list.cursor]
	summary := deliveredSummary(e, r)
	if u := uploadText(e, r); u != "" {
		summary += " · " + e.t("tui.upload.line", u)
	}
	b.WriteString(wrap(r.ID+": "+summary, e.width) + "\n")
	return b.String()
}
