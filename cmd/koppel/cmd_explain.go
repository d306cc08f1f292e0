package main

import (
	"errors"
	"fmt"
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
	for _, l := range x.Text(a.lang) {
		if l.Kind == "heading" {
			fmt.Fprintln(a.stdout)
		}
		fmt.Fprintln(a.stdout, strings.Repeat(" ", l.Indent)+l.Text)
	}
	return nil
}
