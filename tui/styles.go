package tui

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/muesli/termenv"
)

// styles are all of the UI's looks, in one place.
type styles struct {
	title, subtitle, selected, dim, ok, bad, warn, help, helpKey, box, label, err lipgloss.Style
	levels                                                                        map[runlog.Level]lipgloss.Style
	r                                                                             *lipgloss.Renderer
}

func newStyles(noColor bool) styles {
	r := lipgloss.DefaultRenderer()
	if noColor {
		r = lipgloss.NewRenderer(nil)
		r.SetColorProfile(termenv.Ascii)
	}
	green, red, yellow, blue, grey := lipgloss.Color("2"), lipgloss.Color("1"), lipgloss.Color("3"), lipgloss.Color("4"), lipgloss.Color("8")
	s := styles{
		r:        r,
		title:    r.NewStyle().Bold(true).Foreground(blue),
		subtitle: r.NewStyle().Bold(true),
		selected: r.NewStyle().Bold(true).Reverse(true),
		dim:      r.NewStyle().Foreground(grey),
		ok:       r.NewStyle().Foreground(green),
		bad:      r.NewStyle().Foreground(red).Bold(true),
		warn:     r.NewStyle().Foreground(yellow),
		help:     r.NewStyle().Foreground(grey),
		helpKey:  r.NewStyle().Bold(true),
		box:      r.NewStyle().Border(lipgloss.NormalBorder()).Padding(0, 1),
		label:    r.NewStyle().Width(22),
		err:      r.NewStyle().Foreground(red),
	}
	s.levels = map[runlog.Level]lipgloss.Style{
		runlog.Metadata:     s.dim,
		runlog.Melding:      r.NewStyle(),
		runlog.Waarschuwing: s.warn,
		runlog.Uitval:       s.bad,
	}
	return s
}

// status renders a run status in its colour.
func (s styles) status(text, status string) string {
	switch status {
	case "ok":
		return s.ok.Render(text)
	case "failed":
		return s.bad.Render(text)
	case "blocked":
		return s.warn.Render(text)
	}
	return text
}

// visibleLen is the printed width of s, without escape sequences.
func visibleLen(s string) int { return lipgloss.Width(s) }
