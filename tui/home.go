package tui

import (
	"strconv"
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
	list     list
	message  string
	err      string
	deleting *confirm
}

type homeRow struct {
	p    *profile.Profile
	last *store.Run
	// matchOpen counts the records the profile's first-sync match still waits on (koppel match).
	matchOpen int
}

func newHome(e *env, selected string) *home {
	h := &home{e: e}
	h.load()
	h.selectName(selected)
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
			row := homeRow{p: p, last: lasts[n]}
			if ms, err := st.MatchStatusOf(n); err == nil && ms.Waiting() {
				row.matchOpen = ms.Open
			}
			out.rows = append(out.rows, row)
		}
		return out
	}
}

// load reads synchronously; for the first frame, so the screen never starts empty.
func (h *home) load() { h.apply(h.loadCmd()().(homeLoaded)) }

func (h *home) apply(m homeLoaded) {
	// Keep the cursor on the same profile when the list changes under it.
	name := ""
	if p := h.selected(); p != nil {
		name = p.Name
	}
	h.rows = m.rows
	if m.err != "" {
		h.err = m.err
	}
	h.list.setLen(len(h.rows))
	h.selectName(name)
}

func (h *home) selectName(name string) {
	for i, r := range h.rows {
		if r.p.Name == name {
			h.list.cursor = i
		}
	}
}

func (h *home) selected() *profile.Profile {
	if len(h.rows) == 0 || h.list.cursor >= len(h.rows) {
		return nil
	}
	return h.rows[h.list.cursor].p
}

func (h *home) keys() []key.Binding {
	if h.deleting != nil {
		return h.deleting.keys()
	}
	km := h.e.km
	if len(h.rows) == 0 {
		return []key.Binding{km.New, km.Quit}
	}
	return []key.Binding{km.Open, km.Run, km.Preview, km.History, km.Edit, km.Verify, km.New, km.Delete, km.Quit}
}

func (h *home) fullKeys() []key.Binding {
	if h.deleting != nil {
		return h.deleting.keys()
	}
	return append(h.keys(), h.e.km.listKeys()...)
}

func (h *home) update(msg tea.Msg) (screen, tea.Cmd) {
	e := h.e
	km := &e.km
	switch m := msg.(type) {
	case homeLoaded:
		h.apply(m)
	case refreshMsg:
		return h, h.loadCmd()
	case savedMsg:
		h.load()
		h.selectName(m.name)
		h.message = e.t("tui.saved", m.name)
		if m.draft {
			h.message = e.t("tui.saved_draft", m.name)
		}
	case tea.KeyMsg:
		if h.deleting != nil {
			done, yes := h.deleting.answer(m)
			if !done {
				return h, nil
			}
			h.deleting = nil
			if yes {
				p := h.selected()
				if err := e.Store.DeleteProfile(p.Name); err != nil {
					h.err = e.errText(err)
				} else {
					h.message = e.t("tui.deleted", p.Name)
				}
				h.load()
			}
			return h, nil
		}
		h.message, h.err = "", ""
		if h.list.move(m, km) {
			return h, nil
		}
		p := h.selected()
		switch {
		case key.Matches(m, km.Quit):
			return h, tea.Quit
		case key.Matches(m, km.New):
			return h, e.push(newWizard(e, nil))
		case p == nil:
		case key.Matches(m, km.Open):
			return h, e.push(newDetails(e, p, h.rows[h.list.cursor].last))
		case key.Matches(m, km.Edit):
			return h, e.push(newWizard(e, p))
		case key.Matches(m, km.Verify):
			return h, e.push(newVerifyScreen(e, p))
		case key.Matches(m, km.Run), key.Matches(m, km.Preview):
			if p.Draft {
				h.err = e.t("run.draft", p.Name)
				return h, nil
			}
			return h, e.push(newRunScreen(e, p.Name, key.Matches(m, km.Preview), false))
		case key.Matches(m, km.History):
			return h, e.push(newHistory(e, p.Name))
		case key.Matches(m, km.Delete):
			h.deleting = deleteConfirm(e, p)
		}
	}
	return h, nil
}

// deleteConfirm names what deleting a customer account takes with it.
func deleteConfirm(e *env, p *profile.Profile) *confirm {
	runs, _ := e.Store.Runs(p.Name)
	return newConfirm(e, e.t("tui.home.confirm_delete", p.Name, p.Account.Name, e.Lang.N(len(runs), "cli.n.run")), e.t("tui.confirm.keep"), e.t("tui.confirm.delete"))
}

func (h *home) view() string {
	e := h.e
	var b strings.Builder
	b.WriteString(e.st.title.Render("koppel — "+e.t("tui.home.title")) + "\n\n")
	if len(h.rows) == 0 {
		b.WriteString(wrap(e.t("tui.home.empty"), e.width) + "\n")
	} else {
		nameW := 10
		for _, r := range h.rows {
			nameW = max(nameW, min(24, len([]rune(r.p.Name))))
		}
		const coupW, lastW, statusW = 18, 11, 11
		wide := e.width >= 110
		accW := e.width - 2 - nameW - coupW - lastW - statusW - 4
		if wide {
			accW = min(30, accW-36)
		}
		accW = max(10, accW)
		cols := func(name, acc, coup, last, status, delivered string) string {
			s := pad(name, nameW) + " " + pad(acc, accW) + " " + pad(coup, coupW) + " " + pad(last, lastW) + " " + pad(status, statusW)
			if wide {
				s += " " + delivered
			}
			return strings.TrimRight(s, " ")
		}
		b.WriteString(e.st.dim.Render("  "+cols(e.t("tui.col.profile"), e.t("tui.col.account"), e.t("tui.col.couplings"), e.t("tui.col.lastrun"), e.t("tui.col.status"), e.t("tui.col.delivered"))) + "\n")
		// Title, blank, header; below: position, blank, the selected profile's summary (2),
		// a message or question (3).
		height := e.height - 1 - 3 - 7
		if h.deleting != nil {
			height -= lineCount(h.deleting.view()) - 1
		}
		start, end := h.list.window(height)
		for i := start; i < end; i++ {
			r := h.rows[i]
			last, status, delivered := "—", "", ""
			if r.last != nil {
				last = r.last.Started.Local().Format("02-01 15:04")
				status = runStatus(e, r.last)
				delivered = homeDelivered(e, r.last)
			}
			if r.p.Draft {
				status = e.t("tui.status.draft")
			} else if r.matchOpen > 0 {
				status = e.st.warn.Render(e.t("tui.status.match_open"))
			}
			b.WriteString(h.list.row(e, i, cols(r.p.Name, r.p.Account.Name, profileCouplings(e, r.p), last, status, delivered)) + "\n")
		}
		b.WriteString(h.list.position(e) + "\n\n")
		b.WriteString(h.summary())
	}
	if h.deleting != nil {
		b.WriteString("\n" + h.deleting.view())
	}
	if h.message != "" {
		b.WriteString("\n" + e.st.ok.Render(wrap(h.message, e.width)) + "\n")
	}
	if h.err != "" {
		b.WriteString("\n" + e.st.err.Render(wrap(h.err, e.width)) + "\n")
	}
	return b.String()
}

// summary says, for the selected profile, what its last run did, in words.
func (h *home) summary() string {
	e := h.e
	if len(h.rows) == 0 {
		return ""
	}
	r := h.rows[h.list.cursor]
	var s string
	switch {
	case r.p.Draft:
		s = e.st.warn.Render(e.t("tui.home.draft", r.p.Name))
	case r.matchOpen > 0:
		s = e.st.warn.Render(e.t("tui.home.match_open", r.p.Name, strconv.Itoa(r.matchOpen)))
	case r.last == nil:
		s = e.t("tui.home.never_run", r.p.Name)
	default:
		s = r.p.Name + ": " + deliveredSummary(e, r.last)
	}
	return wrap(s, e.width) + "\n"
}

// homeDelivered is the wide screen's delivered column: what the consultant checks most.
func homeDelivered(e *env, r *store.Run) string {
	if !r.HasDelivery() {
		return "—"
	}
	var parts []string
	for _, ent := range []string{"employments", "absences"} {
		if c := r.Entities[ent]; c != nil {
			parts = append(parts, e.t("entity."+ent)+" "+strconv.Itoa(c.Delivered))
		}
	}
	return strings.Join(parts, ", ")
}
