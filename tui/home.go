package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/profile"
)

// home lists the saved customer accounts (profiles).
type home struct {
	e        *env
	rows     []homeRow
	cursor   int
	message  string
	err      string
	deleting bool
	k        struct{ up, down, new, open, edit, verify, run, preview, history, del, quit, yes, no key.Binding }
}

type homeRow struct {
	p    *profile.Profile
	last *store.Run
}

func newHome(e *env, selected string) *home {
	h := &home{e: e}
	h.k.up = e.key("tui.key.up", "up", "k")
	h.k.down = e.key("tui.key.down", "down", "j")
	h.k.new = e.key("tui.key.new", "n")
	h.k.open = e.key("tui.key.details", "enter")
	h.k.edit = e.key("tui.key.edit", "e")
	h.k.verify = e.key("tui.key.verify", "v")
	h.k.run = e.key("tui.key.run", "r")
	h.k.preview = e.key("tui.key.preview", "p")
	h.k.history = e.key("tui.key.history", "h")
	h.k.del = e.key("tui.key.delete", "d")
	h.k.quit = e.key("tui.key.quit", "q", "ctrl+c")
	h.k.yes = e.key("tui.key.yes", "j", "y")
	h.k.no = e.key("tui.key.no", "n", "esc")
	h.load()
	for i, r := range h.rows {
		if r.p.Name == selected {
			h.cursor = i
		}
	}
	return h
}

func (h *home) init() tea.Cmd { return h.loadCmd() }

// homeLoaded carries the profiles and their last runs, read outside Update: with many runs, or
// a store another process is writing, reading must not stall the screen.
type homeLoaded struct {
	rows []homeRow
	err  string
}

// loadCmd reads the profiles and each one's last run. A profile another process is running
// shows its last run as it was before that run.
func (h *home) loadCmd() tea.Cmd {
	st := h.e.Store
	return func() tea.Msg {
		names, err := st.ProfileNames()
		if err != nil {
			return homeLoaded{err: err.Error()}
		}
		lasts, _ := st.LastRuns() // a held or damaged profile just has no last run to show
		var out homeLoaded
		for _, n := range names {
			p, err := st.Profile(n)
			if err != nil {
				out.err = err.Error()
				continue
			}
			out.rows = append(out.rows, homeRow{p: p, last: lasts[n]})
		}
		return out
	}
}

// load reads synchronously; for the first frame, so the screen never starts empty.
func (h *home) load() { h.apply(h.loadCmd()().(homeLoaded)) }

func (h *home) apply(m homeLoaded) {
	h.rows = m.rows
	if m.err != "" {
		h.err = m.err
	}
	if h.cursor >= len(h.rows) {
		h.cursor = max(0, len(h.rows)-1)
	}
}

func (h *home) selected() *profile.Profile {
	if len(h.rows) == 0 {
		return nil
	}
	return h.rows[h.cursor].p
}

func (h *home) keys() []key.Binding {
	if h.deleting {
		return []key.Binding{h.k.yes, h.k.no}
	}
	has := len(h.rows) > 0
	for _, b := range []*key.Binding{&h.k.open, &h.k.edit, &h.k.verify, &h.k.run, &h.k.preview, &h.k.history, &h.k.del} {
		b.SetEnabled(has)
	}
	return []key.Binding{h.k.new, h.k.open, h.k.edit, h.k.verify, h.k.run, h.k.preview, h.k.history, h.k.del, h.k.quit}
}

func (h *home) update(msg tea.Msg) (screen, tea.Cmd) {
	switch m := msg.(type) {
	case homeLoaded:
		h.apply(m)
	case refreshMsg:
		return h, h.loadCmd()
	case savedMsg:
		h.load()
		for i, r := range h.rows {
			if r.p.Name == m.name {
				h.cursor = i
			}
		}
		h.message = h.e.t("tui.saved", m.name)
	case tea.KeyMsg:
		h.message, h.err = "", ""
		if h.deleting {
			switch {
			case key.Matches(m, h.k.yes):
				p := h.selected()
				if err := h.e.Store.DeleteProfile(p.Name); err != nil {
					h.err = err.Error()
				} else {
					h.message = h.e.t("tui.deleted", p.Name)
				}
				h.load()
			}
			h.deleting = false
			return h, nil
		}
		p := h.selected()
		switch {
		case key.Matches(m, h.k.quit):
			return h, tea.Quit
		case key.Matches(m, h.k.up):
			h.cursor = max(0, h.cursor-1)
		case key.Matches(m, h.k.down):
			h.cursor = min(len(h.rows)-1, h.cursor+1)
		case key.Matches(m, h.k.new):
			return h, push(newWizard(h.e, nil))
		case p == nil:
		case key.Matches(m, h.k.open):
			return h, push(newDetails(h.e, p, h.rows[h.cursor].last))
		case key.Matches(m, h.k.edit):
			return h, push(newWizard(h.e, p))
		case key.Matches(m, h.k.verify):
			return h, push(newVerifyScreen(h.e, p))
		case key.Matches(m, h.k.run):
			return h, push(newRunScreen(h.e, p.Name, false, false))
		case key.Matches(m, h.k.preview):
			return h, push(newRunScreen(h.e, p.Name, true, false))
		case key.Matches(m, h.k.history):
			return h, push(newHistory(h.e, p.Name))
		case key.Matches(m, h.k.del):
			h.deleting = true
		}
	}
	return h, nil
}

func (h *home) view() string {
	e := h.e
	var b strings.Builder
	b.WriteString(e.st.title.Render("koppel — "+e.t("tui.home.title")) + "\n\n")
	if len(h.rows) == 0 {
		b.WriteString(e.t("tui.home.empty") + "\n")
	} else {
		header := fmt.Sprintf("  %-10s %-17s %-14s %-11s %-9s %s", e.t("tui.col.profile"), e.t("tui.col.account"), e.t("tui.col.couplings"), e.t("tui.col.lastrun"), e.t("tui.col.status"), e.t("tui.col.delivered"))
		b.WriteString(e.st.dim.Render(cut(header, e.width)) + "\n")
		for i, r := range h.rows {
			last, status, counts := "—", "", ""
			if r.last != nil {
				last = r.last.Started.Local().Format("02-01 15:04")
				status = e.t("status." + r.last.Status)
				counts = shortCounts(e, r.last)
			}
			line := fmt.Sprintf("%-10s %-17s %-14s %-11s %-9s %s", cut(r.p.Name, 10), cut(r.p.Account.Name, 17), couplingLetters(r.p), last, status, counts)
			line = cut(line, e.width-2)
			if i == h.cursor {
				b.WriteString("> " + e.st.selected.Render(line) + "\n")
			} else {
				b.WriteString("  " + line + "\n")
			}
		}
	}
	b.WriteString("\n")
	if h.deleting {
		b.WriteString(e.st.warn.Render(e.t("tui.home.confirm_delete", h.selected().Name)) + "\n")
	}
	if h.message != "" {
		b.WriteString(e.st.ok.Render(h.message) + "\n")
	}
	if h.err != "" {
		b.WriteString(e.st.err.Render(h.err) + "\n")
	}
	return b.String()
}

// couplingLetters abbreviates the enabled couplings: W werknemer (+M manager accounts), V verzuim.
func couplingLetters(p *profile.Profile) string {
	var s []string
	if p.Couplings.Werknemer.Enabled {
		w := "Werkn."
		if p.Couplings.Werknemer.Managers {
			w += "+L"
		}
		s = append(s, w)
	}
	if p.Couplings.Verzuim.Enabled {
		s = append(s, "Verz.")
	}
	return strings.Join(s, " ")
}

func shortCounts(e *env, r *store.Run) string {
	var parts []string
	for _, ent := range []string{"employments", "absences"} {
		if c := r.Entities[ent]; c != nil {
			parts = append(parts, fmt.Sprintf("%s %s", deliveredText(r, c.Delivered), e.t("tui.short."+ent)))
		}
	}
	return strings.Join(parts, " ")
}

// cut shortens s to n printed characters.
func cut(s string, n int) string {
	r := []rune(s)
	if n <= 0 {
		return ""
	}
	if len(r) <= n {
		return s
	}
	if n == 1 {
		return "…"
	}
	return string(r[:n-1]) + "…"
}
