package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/token"
	"github.com/koppel-nl/koppel/sync/values"
)

// details shows one profile, token masked, and is the hub for everything done with it: run,
// preview, edit, verify, history.
type details struct {
	e    *env
	p    *profile.Profile
	last *store.Run
	err  string
}

func newDetails(e *env, p *profile.Profile, last *store.Run) *details {
	return &details{e: e, p: p, last: last}
}

func (d *details) keys() []key.Binding {
	km := d.e.km
	return []key.Binding{km.Run, km.Preview, km.Edit, km.Verify, km.History, km.Periods, km.Explain, km.Match, km.Back}
}

func (d *details) update(msg tea.Msg) (screen, tea.Cmd) {
	e := d.e
	km := &e.km
	switch m := msg.(type) {
	case refreshMsg:
		// Back from the wizard or a run: show what is stored now.
		if p, err := e.Store.Profile(d.p.Name); err == nil {
			d.p = p
		}
		d.last, _ = e.Store.LastRun(d.p.Name)
	case savedMsg:
		if p, err := e.Store.Profile(m.name); err == nil {
			d.p = p
		}
	case tea.KeyMsg:
		d.err = ""
		switch {
		case key.Matches(m, km.Back):
			return d, e.pop()
		case key.Matches(m, km.Run), key.Matches(m, km.Preview):
			if d.p.Draft {
				d.err = e.t("run.draft", d.p.Name)
				return d, nil
			}
			return d, e.push(newRunScreen(e, d.p.Name, key.Matches(m, km.Preview), false))
		case key.Matches(m, km.Edit):
			return d, e.push(newWizard(e, d.p))
		case key.Matches(m, km.Verify):
			return d, e.push(newVerifyScreen(e, d.p))
		case key.Matches(m, km.History):
			return d, e.push(newHistory(e, d.p.Name))
		case key.Matches(m, km.Periods):
			return d, e.push(newPeriodsScreen(e, d.p.Name))
		case key.Matches(m, km.Explain), key.Matches(m, km.Match):
			if d.p.Draft {
				d.err = e.t("run.draft", d.p.Name)
				return d, nil
			}
			if key.Matches(m, km.Match) {
				return d, e.push(newMatchScreen(e, d.p.Name))
			}
			return d, e.push(newExplainScreen(e, d.p.Name, ""))
		}
	}
	return d, nil
}

func (d *details) view() string {
	e := d.e
	var b strings.Builder
	b.WriteString(e.st.title.Render(e.t("tui.details.title", d.p.Account.Name)) + "\n\n")
	b.WriteString(profileSummary(e, d.p))
	if d.p.Draft {
		b.WriteString("\n" + e.st.warn.Render(wrap(e.t("tui.details.draft", d.p.Name), e.width)) + "\n")
	}
	if d.last != nil {
		b.WriteString("\n" + e.st.subtitle.Render(e.t("tui.details.lastrun")) + "\n")
		b.WriteString(d.last.ID + "  " + styledStatus(e, d.last) + "  " + d.last.Started.Local().Format("2006-01-02 15:04") + "\n")
		b.WriteString(wrap(deliveredSummary(e, d.last), e.width) + "\n")
		if d.last.Delivery != "" {
			b.WriteString(hang(d.last.Delivery, e.width, 2) + "\n")
		}
	}
	if d.err != "" {
		b.WriteString("\n" + e.st.err.Render(wrap(d.err, e.width)) + "\n")
	}
	return b.String()
}

// profileSummary lists a profile's settings, token masked, every value in full (long ones wrap
// under their label).
func profileSummary(e *env, p *profile.Profile) string {
	var b strings.Builder
	const labelW = 22
	row := func(label, value string) {
		b.WriteString(e.st.label.Render(label) + hang(value, e.width-labelW, 0))
		b.WriteString("\n")
	}
	rowWrapped := func(label, value string) {
		lines := strings.Split(wrap(value, e.width-labelW), "\n")
		for i, l := range lines {
			if i == 0 {
				b.WriteString(e.st.label.Render(label) + l + "\n")
			} else {
				b.WriteString(strings.Repeat(" ", labelW) + l + "\n")
			}
		}
	}
	rowWrapped(e.t("tui.f.name"), p.Name+"   "+e.st.dim.Render("(koppel run "+p.Name+")"))
	rowWrapped(e.t("tui.f.account"), p.Account.Name)
	row(e.t("tui.f.participant"), p.Account.Participant+" ("+e.t("tui.env."+p.Account.Environment)+")")
	rowWrapped(e.t("tui.f.url"), p.URL())
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
	if len(cs) == 0 {
		cs = append(cs, "—")
	}
	rowWrapped(e.t("tui.f.couplings"), strings.Join(cs, ", "))
	if s := p.Couplings.Werknemer.Salary; s != nil {
		row(e.t("tui.f.salary"), s.Column+" ("+profile.SalaryKindLabel(s.Kind)+")")
	}
	if p.Flex.Enabled {
		row(e.t("tui.f.flex"), e.t("tui.f.flex_employer")+" "+p.Rewrite.Employer.Apply(p.Flex.Employer))
	}
	row(e.t("tui.f.datefrom"), p.DateFrom+"  ("+inWords(e, p.DateFrom)+")")
	rowWrapped(e.t("tui.f.outbox"), p.Delivery.Outbox)
	row(e.t("tui.f.mode"), p.Delivery.Mode)
	if v := sftpSummary(e, p.Delivery.SFTP); v != "" {
		rowWrapped(e.t("tui.step.sftp"), v)
	}
	row(e.t("tui.f.employer"), p.Employer)
	rw := p.Rewrite
	if rw != (profile.Rewrite{}) {
		rowWrapped(e.t("tui.f.rewrite"), fmt.Sprintf("%s: %q…%q, %s: %q…%q", e.t("tui.f.employer"), rw.Employer.Prefix, rw.Employer.Suffix, e.t("tui.f.employee"), rw.Employee.Prefix, rw.Employee.Suffix))
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
