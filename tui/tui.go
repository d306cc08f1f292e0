// Package tui is koppel's terminal UI: saved customer accounts, the onboarding wizard, live runs
// and run history. It renders the engine's event stream; it does not re-implement the engine.
// One model per screen (the wizard: one file per step); styles live in styles.go, the one keymap
// in keys.go, the shared pieces (lists, confirmations, text) in list.go, confirm.go and text.go.
package tui

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/profile"
)

// Deps is what the UI works with.
type Deps struct {
	Store *store.Store
	Lang  i18n.Lang
	// NoColor renders without colour (NO_COLOR).
	NoColor bool
	// Engine tunes runs started from the UI.
	Engine engine.Options
	// WorkDir is the folder koppel was started in: relative outbox paths typed in the wizard are
	// taken from it. Files the UI writes itself go beside the store.
	WorkDir string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// env is shared by every screen of one App.
type env struct {
	Deps
	ctx    context.Context
	st     styles
	km     keyMap
	help   help.Model
	width  int
	height int
	// room is how many lines the screen on top has above the help bar, as of the last frame.
	room int
	// nav holds the navigation the screen asked for during one update; the App carries it out
	// before the next message, so a key that follows arrives at the screen it was meant for.
	nav []navOp
}

type navOp struct {
	push screen
	pop  bool
	msg  tea.Msg // delivered to the top screen
}

func (e *env) t(code string, args ...string) string { return e.Lang.T(code, args...) }

// push opens a screen on top; pop closes the top one; send delivers a message to the top screen
// after the navigation before it. They return nil, for `return s, e.push(x)`.
func (e *env) push(s screen) tea.Cmd { e.nav = append(e.nav, navOp{push: s}); return nil }
func (e *env) pop() tea.Cmd          { e.nav = append(e.nav, navOp{pop: true}); return nil }
func (e *env) send(m tea.Msg)        { e.nav = append(e.nav, navOp{msg: m}) }

// filesDir is where the UI saves files the consultant asks for: beside the store.
func (e *env) filesDir() string { return filepath.Dir(e.Store.Path()) }

// errText renders an error in the UI's language where koppel knows it.
func (e *env) errText(err error) string {
	var ue *engine.UsageError
	var he *store.HeldError
	var pe profile.Errors
	var qe *engine.QueueError
	switch {
	case errors.As(err, &qe):
		return qe.Text(e.Lang)
	case errors.As(err, &ue):
		return ue.Text(e.Lang)
	case errors.As(err, &he):
		since := ""
		if !he.Since.IsZero() {
			since = he.Since.Local().Format("2006-01-02 15:04")
		}
		return e.t("run.held", he.Profile, itoa(he.PID), he.Host, since)
	case errors.As(err, &pe):
		return pe.Text(e.Lang)
	}
	return err.Error()
}

// screen is one view on the stack.
type screen interface {
	update(msg tea.Msg) (screen, tea.Cmd)
	view() string
	// keys are the screen's keys for the short help bar, most used first.
	keys() []key.Binding
}

// fullKeyer is a screen with more keys than its short bar shows.
type fullKeyer interface{ fullKeys() []key.Binding }

// refreshMsg asks the screen below to reload after a pop.
type refreshMsg struct{}

// App is the root model.
type App struct {
	env      *env
	stack    []screen
	showHelp bool
}

// New returns the root model; selected names the profile to select first (or "").
func New(ctx context.Context, d Deps, selected string) *App {
	if d.Now == nil {
		d.Now = time.Now
	}
	e := &env{Deps: d, ctx: ctx, st: newStyles(d.NoColor), width: 80, height: 24}
	e.km = newKeyMap(e)
	e.help = newHelp(e.st)
	return &App{env: e, stack: []screen{newHome(e, selected)}}
}

// Run opens the UI until the user quits.
func Run(ctx context.Context, d Deps, selected string, opts ...tea.ProgramOption) error {
	opts = append([]tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx)}, opts...)
	_, err := tea.NewProgram(New(ctx, d, selected), opts...).Run()
	if err == tea.ErrProgramKilled && ctx.Err() != nil {
		return nil
	}
	return err
}

// Init implements tea.Model.
func (a *App) Init() tea.Cmd {
	if in, ok := a.top().(interface{ init() tea.Cmd }); ok {
		return in.init()
	}
	return nil
}

func (a *App) top() screen { return a.stack[len(a.stack)-1] }

// Update implements tea.Model.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch m := msg.(type) {
	case tea.WindowSizeMsg:
		a.env.width, a.env.height = m.Width, m.Height
	case tea.KeyMsg:
		// Keys typed quickly (or over SSH) arrive together as one message of several runes: each
		// is a key of its own, unless a text field takes them as text.
		if m.Type == tea.KeyRunes && len(m.Runes) > 1 && !m.Paste && !a.typing() {
			var cmds []tea.Cmd
			for _, r := range m.Runes {
				_, cmd := a.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: m.Alt})
				cmds = append(cmds, cmd)
			}
			return a, tea.Batch(cmds...)
		}
		if a.showHelp && !a.typing() && (key.Matches(m, a.env.km.Help) || m.Type == tea.KeyEsc) {
			a.showHelp = false
			return a, nil
		}
		if key.Matches(m, a.env.km.Help) && (!a.typing() || m.Type == tea.KeyF1) {
			a.showHelp = !a.showHelp
			return a, nil
		}
		if m.String() == "ctrl+c" && !a.guardsCtrlC() {
			return a, tea.Quit
		}
	}
	s, cmd := a.top().update(msg)
	a.stack[len(a.stack)-1] = s
	return a, tea.Batch(cmd, a.navigate())
}

// navigate carries out the navigation the screens asked for.
func (a *App) navigate() tea.Cmd {
	var cmds []tea.Cmd
	if len(a.env.nav) > 0 {
		a.showHelp = false
	}
	for len(a.env.nav) > 0 {
		op := a.env.nav[0]
		a.env.nav = a.env.nav[1:]
		switch {
		case op.push != nil:
			a.stack = append(a.stack, op.push)
			if in, ok := op.push.(interface{ init() tea.Cmd }); ok {
				cmds = append(cmds, in.init())
			}
		case op.pop:
			if len(a.stack) == 1 {
				a.env.nav = nil
				return tea.Batch(append(cmds, tea.Quit)...)
			}
			a.stack = a.stack[:len(a.stack)-1]
			s, cmd := a.top().update(refreshMsg{})
			a.stack[len(a.stack)-1] = s
			cmds = append(cmds, cmd)
		case op.msg != nil:
			s, cmd := a.top().update(op.msg)
			a.stack[len(a.stack)-1] = s
			cmds = append(cmds, cmd)
		}
	}
	return tea.Batch(cmds...)
}

// guardsCtrlC reports whether the top screen handles ctrl+c itself: a running run asks before
// it cancels, the wizard asks before it discards what was typed.
func (a *App) guardsCtrlC() bool {
	switch s := a.top().(type) {
	case *runScreen:
		return !s.finished
	case *wizard:
		return true
	}
	return false
}

// typing reports whether the top screen has a text field focused, so letters are input.
func (a *App) typing() bool {
	t, ok := a.top().(interface{ typing() bool })
	return ok && t.typing()
}

// View implements tea.Model.
func (a *App) View() string {
	e := a.env
	help := a.helpView()
	// Keep the help on the last lines, cutting the body to the window.
	h := e.height - lineCount(help)
	e.room = h
	body := a.top().view()
	lines := strings.Split(strings.TrimRight(body, "\n"), "\n")
	if len(lines) > h && h > 0 {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		lines[i] = strings.TrimRight(cut(l, e.width), " ")
	}
	return strings.Join(lines, "\n") + "\n" + help
}

func (a *App) helpView() string {
	e := a.env
	ks := a.top().keys()
	hk := e.km.Help
	if a.typing() {
		hk.SetHelp("f1", hk.Help().Desc)
	}
	if !a.showHelp {
		return shortBar(e.help, ks, hk, e.width)
	}
	all := ks
	if f, ok := a.top().(fullKeyer); ok {
		all = f.fullKeys()
	}
	close := key.NewBinding(key.WithKeys("?"), key.WithHelp(hk.Help().Key+"/esc", e.t("tui.key.help_close")))
	all = append(append([]key.Binding{}, all...), close)
	return e.st.subtitle.Render(e.t("tui.help.title")) + "\n" + fullHelp(e.help, all, e.width)
}

func itoa(n int) string { return strconv.Itoa(n) }
