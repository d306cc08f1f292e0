package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/values"
)

func (a *app) explainCommand() *cobra.Command {
	var jsonOut bool
	var date dayFlag
	c := a.command("explain", "explain", "NAME", "MEDEWERKER")
	c.Args = a.nArgs(2, 2, "cli.args.explain")
	c.ValidArgsFunction = a.profileNames
	f := a.flags(c.Flags())
	f.boolVar(&jsonOut, "json", "", "cli.flag.json")
	c.Flags().Var(&date, "date", a.t("cli.flag.explain.date"))
	f.meta("date", "day", "", "")
	c.RunE = func(_ *cobra.Command, args []string) error { return a.explain1(args[0], args[1], date.t, jsonOut) }
	return c
}

// dayFlag is a YYYY-MM-DD flag: a date that is not a real one is refused while the flags are
// parsed, so the message names the flag and the expected form (exit 2).
type dayFlag struct{ t time.Time }

func (d *dayFlag) String() string {
	if d.t.IsZero() {
		return ""
	}
	return d.t.Format("2006-01-02")
}

func (d *dayFlag) Set(s string) error {
	t, err := values.ParseDay(s)
	if err != nil {
		return err
	}
	d.t = t
	return nil
}

func (d *dayFlag) Type() string { return "day" }

// explain1 explains one employee: rows read, decisions, the lines a run would deliver and the
// change against the last delivery, as on day (zero: today). It delivers and stores nothing.
func (a *app) explain1(name, medewerker string, day time.Time, jsonOut bool) error {
	s, err := a.needStore(a.unknownProfile(name))
	if err != nil {
		return err
	}
	defer s.Close()
	var progress func(engine.Event)
	if !jsonOut {
		// Reading AFAS takes a while on a real customer: say what was read as it is read.
		progress = func(ev engine.Event) {
			if ev.Type == "progress" && ev.Done {
				fmt.Fprintf(a.stderr, "  %s\n", a.t("cli.log.read", ev.Connector, a.plural(ev.Rows, "cli.n.row"), a.plural(ev.Pages, "cli.n.page")))
			}
		}
		fmt.Fprintf(a.stderr, "» %s\n", a.t("cli.explain.reading"))
	}
	x, err := engine.New(s).ExplainEvents(a.ctx, name, medewerker, engine.Options{Day: day}, progress)
	var ue *engine.UsageError
	switch {
	case errors.As(err, &ue):
		return usageErr(ue.Text(a.lang))
	case err != nil:
		return failErr(err)
	}
	if jsonOut {
		return writeJSON(a.stdout, x)
	}
	w := a.stdout
	fmt.Fprintln(w, a.t("cli.explain.title", medewerker, name))
	fmt.Fprintln(w, a.t("cli.explain.day", x.Day))
	fmt.Fprintln(w, "\n"+a.t("cli.explain.read"))
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
			fmt.Fprintf(w, "  %s: %s\n", rr.Connector, strings.Join(parts, ", "))
		}
	}
	fmt.Fprintln(w, "\n"+a.t("cli.explain.decisions"))
	for _, d := range x.Decisions {
		fmt.Fprintf(w, "  %-12s %s %s: %s\n", a.t("level."+d.Level.String()), a.t("entity."+d.Entity), d.Key, a.t(d.Code, d.Args...))
	}
	fmt.Fprintln(w, "\n"+a.t("cli.explain.lines"))
	for _, f := range x.Files {
		fmt.Fprintf(w, "  %s (%s)\n    %s\n", f.File, a.plural(len(f.Lines), "cli.n.row"), strings.Join(f.Header, ";"))
		for _, l := range f.Lines {
			fmt.Fprintf(w, "    %s\n", strings.Join(l, ";"))
		}
	}
	fmt.Fprintln(w, "\n"+a.t("cli.explain.changes"))
	for _, c := range x.Changes {
		fmt.Fprintf(w, "  %-13s %s %s\n", a.t("cli.kind."+c.Kind), a.t("entity."+c.Entity), c.Key)
		for _, f := range c.Fields {
			fmt.Fprintf(w, "      %s: %q → %q\n", f.Column, f.Before, f.After)
		}
	}
	return nil
}
