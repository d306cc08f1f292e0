package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// ExplainLine is one line of an explanation as people read it. The command line prints them;
// the terminal UI styles them by Kind. One rendering for both, so they say the same.
type ExplainLine struct {
	Kind   string // title, heading, row (read), decision, file, header, line, change, field
	Level  runlog.Level
	Indent int // spaces before Text
	Text   string
}

// Text renders an explanation in a language: the title and the day, then the rows read, the
// decisions, the lines a run would deliver and the changes against the last delivery.
func (x *Explanation) Text(l i18n.Lang) []ExplainLine {
	var out []ExplainLine
	add := func(kind string, indent int, text string) {
		out = append(out, ExplainLine{Kind: kind, Indent: indent, Text: text})
	}
	add("title", 0, l.T("cli.explain.title", x.Medewerker, x.Profile))
	add("day", 0, l.T("cli.explain.day", x.Day))
	add("heading", 0, l.T("cli.explain.read"))
	for _, rr := range x.Read {
		for _, row := range rr.Rows {
			keys := make([]string, 0, len(row))
			for k := range row {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			var parts []string
			for _, k := range keys {
				if row[k] != "" {
					parts = append(parts, k+"="+row[k])
				}
			}
			add("row", 2, rr.Connector+": "+strings.Join(parts, ", "))
		}
	}
	add("heading", 0, l.T("cli.explain.decisions"))
	for _, d := range x.Decisions {
		out = append(out, ExplainLine{Kind: "decision", Level: d.Level, Indent: 2,
			Text: fmt.Sprintf("%-12s %s %s: %s", l.T("level."+d.Level.String()), l.T("entity."+d.Entity), d.Key, l.T(d.Code, d.Args...))})
	}
	add("heading", 0, l.T("cli.explain.lines"))
	for _, f := range x.Files {
		add("file", 2, fmt.Sprintf("%s (%s)", f.File, l.N(len(f.Lines), "cli.n.row")))
		add("header", 4, strings.Join(f.Header, ";"))
		for _, ln := range f.Lines {
			add("line", 4, strings.Join(ln, ";"))
		}
	}
	add("heading", 0, l.T("cli.explain.changes"))
	for _, c := range x.Changes {
		add("change", 2, fmt.Sprintf("%-13s %s %s", l.T("cli.kind."+c.Kind), l.T("entity."+c.Entity), c.Key))
		for _, f := range c.Fields {
			add("field", 6, fmt.Sprintf("%s: %q → %q", f.Column, f.Before, f.After))
		}
	}
	return out
}
