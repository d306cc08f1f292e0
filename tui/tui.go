// Package tui is koppel's terminal UI: saved customer accounts, the onboarding wizard, live runs
// and run history. It renders the engine's event stream; it does not re-implement the engine.
// One model per screen; styles live in styles.go, keys in keys.go.
package tui

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/i18n"
)

// Deps is what the UI works with.
type Deps struct {
	Store *store.Store
	Lang  i18n.Lang
	// NoColor renders without colour (NO_COLOR).
	NoColor bool
	// Engine tunes runs started from the UI.
	Engine engine.Options
	// WorkDir is where files the consultant asks for are saved (connector definitions).
	WorkDir string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// env is shared by every screen.
type env struct {
	Deps
	ctx     context.Context
	st      styles
	width   int
	height  int
	helpKey key.Binding
}

func (e *env) t(code string, args ...string) string { return e.Lang.T(code, args...) }

// key makes a binding whose description comes from the catalog.
func (e *env) key(code string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(keys[0], e.t(code)))
}

// screen is one view on the stack.
type screen interface {
	update(msg tea.Msg) (screen, tea.Cmd)
	view() string
	keys() []key.Binding
}

// Navigation messages.
type (
	pushMsg struct{ s screen }
	popMsg  struct{}
	// refreshMsg asks the screen below to reload after a pop.
	refreshMsg struct{}
)

func push(s screen) tea.Cmd { return func() tea.Msg { return pushMsg{s} } }
func pop() tea.Msg          { return popMsg{} }

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
	e.helpKey = e.key("tui.key.help", "?")
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
	case pushMsg:
		a.stack = append(a.stack, m.s)
		if in, ok := m.s.(interface{ init() tea.Cmd }); ok {
			return a, in.init()
		}
		return a, nil
	case popMsg:
		if len(a.stack) > 1 {
			a.stack = a.stack[:len(a.stack)-1]
			return a.Update(refreshMsg{})
		}
		return a, tea.Quit
	case tea.KeyMsg:
		if key.Matches(m, a.env.helpKey) && !a.typing() {
			a.showHelp = !a.showHelp
			return a, nil
		}
		if m.String() == "ctrl+c" && !a.guardsCtrlC() {
			return a, tea.Quit
		}
	}
	s, cmd := a.top().update(msg)
	a.stack[len(a.stack)-1] = s
	return a, cmd
}

// guardsCtrlC reports whether the top screen handles ctrl+c itself: a running run asks before
// it cancels, the wizard steps out.
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
	body := a.top().view()
	help := a.helpBar()
	// Keep the help bar on the last line, cutting the body to the window.
	h := a.env.height - lineCount(help)
	lines := strings.Split(body, "\n")
	if len(lines) > h && h > 0 {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n") + "\n" + help
}

func lineCount(s string) int { return strings.Count(s, "\n") + 1 }

func (a *App) helpBar() string {
	ks := a.top().keys()
	if !a.typing() {
		ks = append(ks, a.env.helpKey)
	}
	var parts []string
	for _, k := range ks {
		if !k.Enabled() {
			continue
		}
		h := k.Help()
		parts = append(parts, a.env.st.helpKey.Render(h.Key)+" "+a.env.st.help.Render(h.Desc))
	}
	// Two lines hold every screen's keys at 80 columns; ? allows more for narrow windows.
	if !a.showHelp {
		return wrapJoin(parts, " • ", a.env.width, 2)
	}
	return wrapJoin(parts, " • ", a.env.width, 6)
}

// wrapJoin joins parts into at most maxLines lines of width.
func wrapJoin(parts []string, sep string, width, maxLines int) string {
	var lines []string
	cur := ""
	for _, p := range parts {
		cand := p
		if cur != "" {
			cand = cur + sep + p
		}
		if visibleLen(cand) > width && cur != "" {
			lines = append(lines, cur)
			cur = p
			if len(lines) == maxLines {
				break
			}
			continue
		}
		cur = cand
	}
	if cur != "" && len(lines) < maxLines {
		lines = append(lines, cur)
	}
	return strings.Join(lines, "\n")
}
