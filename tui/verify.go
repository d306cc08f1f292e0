package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/verify"
)

// check is a live check of token and connectors, with a line of progress per connector: the
// same verify code as koppel verify, its calls side by side.
type check struct {
	roles []string
	ids   map[string]string // role → connector id, for the lines still waiting
	done  map[string]verify.Connector
	rep   *verify.Report
	err   error
	busy  bool
	ch    chan tea.Msg
	id    int // which check the messages belong to: a new check ignores an old one's
}

type (
	checkProgressMsg struct {
		id int
		c  verify.Connector
	}
	checkDoneMsg struct {
		id  int
		rep *verify.Report
		err error
	}
)

// start runs the check of roles for p (outbox too when withOutbox); the returned command
// delivers progress and the end.
func (c *check) start(ctx context.Context, p *profile.Profile, roles []string, withOutbox bool) tea.Cmd {
	c.id++
	id := c.id
	c.roles, c.done, c.rep, c.err, c.busy = roles, map[string]verify.Connector{}, nil, nil, true
	c.ids = map[string]string{}
	for _, r := range roles {
		c.ids[r] = p.ConnectorID(r)
	}
	ch := make(chan tea.Msg, len(roles)+1)
	c.ch = ch
	go func() {
		rep, err := checkRoles(ctx, p, roles, func(cc verify.Connector) { ch <- checkProgressMsg{id, cc} })
		if err == nil && withOutbox {
			if oerr := verify.CheckOutbox(p.Delivery.Outbox); oerr != nil {
				rep.Outbox = oerr.Error()
			}
			if p.Delivery.SFTP != nil {
				rep.SFTP = verify.CheckSFTP(ctx, p.Delivery.SFTP)
			}
		}
		ch <- checkDoneMsg{id, rep, err}
	}()
	return c.wait()
}

func (c *check) wait() tea.Cmd {
	ch := c.ch
	return func() tea.Msg { return <-ch }
}

// take handles a check message; handled is false for other messages, finished true when this
// message ended the check.
func (c *check) take(msg tea.Msg) (cmd tea.Cmd, handled, finished bool) {
	switch m := msg.(type) {
	case checkProgressMsg:
		if m.id != c.id {
			return nil, true, false
		}
		c.done[m.c.Role] = m.c
		return c.wait(), true, false
	case checkDoneMsg:
		if m.id != c.id {
			return nil, true, false
		}
		c.busy, c.rep, c.err = false, m.rep, m.err
		return nil, true, true
	}
	return nil, false, false
}

// checkRoles is verify.Roles with a line of progress per connector.
func checkRoles(ctx context.Context, p *profile.Profile, roles []string, progress func(verify.Connector)) (*verify.Report, error) {
	cl, err := verify.NewClient(p)
	if err != nil {
		return nil, err
	}
	t := verify.Target{Roles: roles, IDs: map[string]string{}, SalaryColumn: p.SalaryColumn(), Renames: p.Connectors.Fields, Progress: progress}
	for _, r := range roles {
		t.IDs[r] = p.ConnectorID(r)
	}
	return verify.Check(ctx, cl, t)
}

// progressView shows each connector: its verdict once checked, a spinner while it is asked.
func (c *check) progressView(e *env, spin spinner.Model) string {
	var b strings.Builder
	for _, r := range c.roles {
		if cc, ok := c.done[r]; ok {
			b.WriteString(connectorLine(e, cc) + "\n")
			continue
		}
		b.WriteString(spin.View() + " " + pad(c.ids[r], 24) + e.st.dim.Render(e.t("tui.verify.asking")) + "\n")
	}
	return b.String()
}

func connectorLine(e *env, c verify.Connector) string {
	mark, style := "✓", e.st.ok
	if c.Status != verify.OK {
		mark, style = "✗", e.st.bad
	}
	return style.Render(mark) + " " + pad(c.ID, 24) + style.Render(e.t("verify."+c.Status))
}

// verifyScreen checks a profile's connectors and outbox live.
type verifyScreen struct {
	e       *env
	p       *profile.Profile
	chk     check
	spin    spinner.Model
	message string
	problem string
}

func newVerifyScreen(e *env, p *profile.Profile) *verifyScreen {
	return &verifyScreen{e: e, p: p, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
}

func (v *verifyScreen) init() tea.Cmd {
	v.message = ""
	return tea.Batch(v.spin.Tick, v.chk.start(v.e.ctx, v.p, v.p.Roles(v.p.Enabled()), true))
}

func (v *verifyScreen) keys() []key.Binding {
	km := v.e.km
	return []key.Binding{km.Recheck, km.SaveDefs, km.Back}
}

func (v *verifyScreen) update(msg tea.Msg) (screen, tea.Cmd) {
	if cmd, ok, _ := v.chk.take(msg); ok {
		return v, cmd
	}
	km := &v.e.km
	switch m := msg.(type) {
	case spinner.TickMsg:
		if v.chk.busy {
			var cmd tea.Cmd
			v.spin, cmd = v.spin.Update(m)
			return v, cmd
		}
	case tea.KeyMsg:
		switch {
		case key.Matches(m, km.Back):
			return v, v.e.pop()
		case key.Matches(m, km.Recheck) && !v.chk.busy:
			return v, v.init()
		case key.Matches(m, km.SaveDefs):
			v.message = saveDefinitions(v.e, v.p.SalaryColumn())
		}
	}
	return v, nil
}

func (v *verifyScreen) view() string {
	e := v.e
	var b strings.Builder
	b.WriteString(e.st.title.Render(e.t("tui.verify.title", v.p.Name)) + "\n\n")
	if v.p.Draft {
		b.WriteString(e.st.warn.Render(wrap(e.t("tui.verify.draft", v.p.Name), e.width)) + "\n\n")
	}
	if err := v.p.Validate(); err != nil {
		b.WriteString(e.st.err.Render(wrap(e.errText(err), e.width)) + "\n\n")
	}
	switch {
	case v.chk.busy:
		b.WriteString(v.spin.View() + " " + e.t("tui.verify.busy") + "\n")
		b.WriteString(v.chk.progressView(e, v.spin))
	case v.chk.err != nil:
		b.WriteString(e.st.err.Render(wrap(e.errText(v.chk.err), e.width)) + "\n")
	case v.chk.rep != nil:
		b.WriteString(reportView(e, v.chk.rep, v.p.SalaryColumn()))
		if v.chk.rep.OK() {
			b.WriteString("\n" + e.st.ok.Render(e.t("tui.verify.all_ok")) + "\n")
		}
	}
	if v.message != "" {
		b.WriteString("\n" + v.message + "\n")
	}
	return b.String()
}

// reportView renders a verify report: the token, a line per connector with what is wrong, and
// the outbox.
func reportView(e *env, rep *verify.Report, salary string) string {
	var b strings.Builder
	switch {
	case rep.Unreachable != "":
		b.WriteString(e.st.bad.Render("✗ ") + hang(e.t("verify.unreachable", rep.Unreachable), e.width, 2) + "\n\n")
	case rep.TokenOK:
		b.WriteString(e.st.ok.Render("✓ ") + "token " + e.t("verify.token_ok") + "\n\n")
	default:
		b.WriteString(e.st.bad.Render("✗ ") + hang("token "+e.t("verify.token_bad")+": "+rep.TokenMessage, e.width, 2) + "\n\n")
	}
	for _, c := range rep.Connectors {
		b.WriteString(connectorLine(e, c) + "\n")
		if c.Role == connectors.Dienstverbanden && salary != "" && c.Status != verify.Missing && c.Status != verify.NotAuthorized && c.Status != verify.Skipped {
			b.WriteString(e.st.dim.Render(sub(e, e.t("tui.verify.salary_allowed", salary))) + "\n")
		}
		if len(c.MissingFields) > 0 {
			b.WriteString(sub(e, e.t("verify.missing_fields", strings.Join(c.MissingFields, ", "))) + "\n")
		}
		if len(c.ExtraFields) > 0 {
			b.WriteString(sub(e, e.t("verify.extra_fields", strings.Join(c.ExtraFields, ", "))) + "\n")
			if c.Role == connectors.Dienstverbanden && len(c.ExtraFields) == 1 && salary == "" {
				b.WriteString(e.st.dim.Render(sub(e, e.t("tui.verify.salary_candidate", c.ExtraFields[0]))) + "\n")
			}
		}
		if c.Message != "" && c.Status != verify.OK && c.Status != verify.Missing {
			b.WriteString(e.st.dim.Render(sub(e, c.Message)) + "\n")
		}
	}
	if rep.Outbox != "" {
		b.WriteString("\n" + e.st.bad.Render("✗ ") + hang(e.t("tui.verify.outbox", rep.Outbox), e.width, 2) + "\n")
	}
	b.WriteString(sftpCheckLine(e, rep.SFTP))
	return b.String()
}

// definitionsFile is where the connector definitions are saved: beside the store.
func definitionsFile(e *env) string { return filepath.Join(e.filesDir(), "koppel-getconnectoren.txt") }

// saveDefinitions writes the connector definitions for the customer's AFAS administrator, the
// chosen salary column named.
func saveDefinitions(e *env, salary string) string {
	path := definitionsFile(e)
	var b strings.Builder
	connectors.WriteText(&b, e.Lang, salary)
	text := b.String()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return e.st.err.Render(err.Error())
	}
	return e.st.ok.Render(wrap(e.t("tui.saved_file", path), e.width))
}

// sub is a line under a connector's: indented, wrapped, never cut.
func sub(e *env, s string) string { return indentLines(wrap(s, e.width-4), 4) }
