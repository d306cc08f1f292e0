package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/token"
	"github.com/koppel-nl/koppel/sync/values"
	"github.com/koppel-nl/koppel/sync/verify"
)

// details shows one profile, token masked.
type details struct {
	e    *env
	p    *profile.Profile
	last *store.Run
	back key.Binding
}

func newDetails(e *env, p *profile.Profile, last *store.Run) *details {
	return &details{e: e, p: p, last: last, back: e.key("tui.key.back", "esc")}
}

func (d *details) keys() []key.Binding { return []key.Binding{d.back} }

func (d *details) update(msg tea.Msg) (screen, tea.Cmd) {
	if m, ok := msg.(tea.KeyMsg); ok && (key.Matches(m, d.back) || m.String() == "q") {
		return d, pop
	}
	return d, nil
}

func (d *details) view() string {
	e := d.e
	var b strings.Builder
	b.WriteString(e.st.title.Render(e.t("tui.details.title", d.p.Name)) + "\n\n")
	b.WriteString(profileSummary(e, d.p))
	if d.last != nil {
		b.WriteString("\n" + e.st.subtitle.Render(e.t("tui.details.lastrun")) + "\n")
		b.WriteString(fmt.Sprintf("%s  %s  %s\n", d.last.ID, e.st.status(e.t("status."+d.last.Status), d.last.Status), d.last.Delivery))
	}
	return b.String()
}

// profileSummary lists a profile's settings, token masked.
func profileSummary(e *env, p *profile.Profile) string {
	var b strings.Builder
	row := func(label, value string) {
		b.WriteString(e.st.label.Render(label) + cut(value, e.width-22) + "\n")
	}
	row(e.t("tui.f.account"), p.Account.Name)
	row(e.t("tui.f.participant"), p.Account.Participant+" ("+e.t("tui.env."+p.Account.Environment)+")")
	row(e.t("tui.f.url"), p.URL())
	row(e.t("tui.f.token"), token.MaskToken(p.Account.Token))
	var cs []string
	if p.Couplings.Werknemer.Enabled {
		w := "AFAS Werknemer"
		if p.Couplings.Werknemer.Managers {
			w += " + " + e.t("tui.managers") + " (" + p.Couplings.Werknemer.UserGroup + ")"
		}
		cs = append(cs, w)
	}
	if p.Couplings.Verzuim.Enabled {
		cs = append(cs, "AFAS Verzuim")
	}
	row(e.t("tui.f.couplings"), strings.Join(cs, ", "))
	if s := p.Couplings.Werknemer.Salary; s != nil {
		row(e.t("tui.f.salary"), s.Column+" ("+profile.SalaryKindLabel(s.Kind)+")")
	}
	row(e.t("tui.f.datefrom"), p.DateFrom+"  ("+inWords(e, p.DateFrom)+")")
	row(e.t("tui.f.outbox"), p.Delivery.Outbox)
	row(e.t("tui.f.mode"), p.Delivery.Mode)
	row(e.t("tui.f.employer"), p.Employer)
	rw := p.Rewrite
	if rw != (profile.Rewrite{}) {
		row(e.t("tui.f.rewrite"), fmt.Sprintf("%s: %q…%q, %s: %q…%q", e.t("tui.f.employer"), rw.Employer.Prefix, rw.Employer.Suffix, e.t("tui.f.employee"), rw.Employee.Prefix, rw.Employee.Suffix))
	}
	return b.String()
}

// inWords reads a YYYY-MM-DD date back in words, so a day/month mix-up is visible.
func inWords(e *env, s string) string {
	t, err := values.ParseDay(s)
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%d %s %d", t.Day(), e.Lang.Month(int(t.Month())), t.Year())
}

// verifyScreen checks a profile's connectors live.
type verifyScreen struct {
	e       *env
	p       *profile.Profile
	rep     *verify.Report
	err     error
	busy    bool
	spin    spinner.Model
	message string
	k       struct{ back, recheck, save key.Binding }
}

type verifiedMsg struct {
	rep *verify.Report
	err error
}

func newVerifyScreen(e *env, p *profile.Profile) *verifyScreen {
	v := &verifyScreen{e: e, p: p, spin: spinner.New(spinner.WithSpinner(spinner.Line))}
	v.k.back = e.key("tui.key.back", "esc")
	v.k.recheck = e.key("tui.key.recheck", "c")
	v.k.save = e.key("tui.key.save_defs", "s")
	return v
}

func (v *verifyScreen) init() tea.Cmd {
	v.busy = true
	p := v.p
	ctx := v.e.ctx
	return tea.Batch(v.spin.Tick, func() tea.Msg {
		rep, err := verify.Profile(ctx, p)
		return verifiedMsg{rep, err}
	})
}

func (v *verifyScreen) keys() []key.Binding { return []key.Binding{v.k.recheck, v.k.save, v.k.back} }

func (v *verifyScreen) update(msg tea.Msg) (screen, tea.Cmd) {
	switch m := msg.(type) {
	case verifiedMsg:
		v.busy, v.rep, v.err = false, m.rep, m.err
	case spinner.TickMsg:
		if v.busy {
			var cmd tea.Cmd
			v.spin, cmd = v.spin.Update(m)
			return v, cmd
		}
	case tea.KeyMsg:
		switch {
		case key.Matches(m, v.k.back), m.String() == "q":
			return v, pop
		case key.Matches(m, v.k.recheck) && !v.busy:
			return v, v.init()
		case key.Matches(m, v.k.save):
			v.message = saveDefinitions(v.e)
		}
	}
	return v, nil
}

func (v *verifyScreen) view() string {
	e := v.e
	var b strings.Builder
	b.WriteString(e.st.title.Render(e.t("tui.verify.title", v.p.Name)) + "\n\n")
	switch {
	case v.busy:
		b.WriteString(v.spin.View() + " " + e.t("tui.verify.busy") + "\n")
	case v.err != nil:
		b.WriteString(e.st.err.Render(v.err.Error()) + "\n")
	default:
		b.WriteString(reportView(e, v.rep))
	}
	if v.message != "" {
		b.WriteString("\n" + v.message + "\n")
	}
	return b.String()
}

// reportView renders a verify report as a table.
func reportView(e *env, rep *verify.Report) string {
	var b strings.Builder
	switch {
	case rep.Unreachable != "":
		b.WriteString(e.st.bad.Render("✗ ") + wrap(e.t("verify.unreachable", rep.Unreachable), e.width-2) + "\n\n")
	case rep.TokenOK:
		b.WriteString(e.st.ok.Render("✓ ") + "token " + e.t("verify.token_ok") + "\n\n")
	default:
		b.WriteString(e.st.bad.Render("✗ ") + "token " + e.t("verify.token_bad") + ": " + rep.TokenMessage + "\n\n")
	}
	for _, c := range rep.Connectors {
		mark, style := "✓", e.st.ok
		if c.Status != verify.OK {
			mark, style = "✗", e.st.bad
		}
		b.WriteString(style.Render(mark) + " " + fmt.Sprintf("%-24s", c.ID) + style.Render(e.t("verify."+c.Status)) + "\n")
		if len(c.MissingFields) > 0 {
			b.WriteString("    " + cut(e.t("verify.missing_fields", strings.Join(c.MissingFields, ", ")), e.width-4) + "\n")
		}
		if len(c.ExtraFields) > 0 {
			b.WriteString("    " + cut(e.t("verify.extra_fields", strings.Join(c.ExtraFields, ", ")), e.width-4) + "\n")
			if c.Role == connectors.Dienstverbanden && len(c.ExtraFields) == 1 {
				b.WriteString("    " + e.st.dim.Render(cut(e.t("tui.verify.salary_candidate", c.ExtraFields[0]), e.width-4)) + "\n")
			}
		}
		if c.Message != "" && c.Status != verify.OK && c.Status != verify.Missing {
			b.WriteString("    " + e.st.dim.Render(cut(c.Message, e.width-4)) + "\n")
		}
	}
	return b.String()
}

// saveDefinitions writes the connector definitions for the customer's AFAS administrator.
func saveDefinitions(e *env) string {
	dir := e.WorkDir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	path := filepath.Join(dir, "koppel-getconnectoren.txt")
	f, err := os.Create(path)
	if err != nil {
		return e.st.err.Render(err.Error())
	}
	connectors.WriteText(f)
	if err := f.Close(); err != nil {
		return e.st.err.Render(err.Error())
	}
	return e.st.ok.Render(e.t("tui.saved_file", path))
}
