package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/values"
)

func (a *app) periodsCommand() *cobra.Command {
	var jsonOut bool
	var date string
	c := a.command("periods", "periods", "NAME")
	c.Args = a.nArgs(1, 1, "cli.args.periods")
	c.ValidArgsFunction = a.profileNames
	f := a.flags(c.Flags())
	f.boolVar(&jsonOut, "json", "", "cli.flag.json")
	f.stringVar(&date, "date", "", "day", "cli.flag.periods.date")
	c.RunE = func(_ *cobra.Command, args []string) error {
		// The one place the clock is read: the view takes its day as an argument.
		asOf := time.Now()
		if date != "" {
			d, err := values.ParseDay(date)
			if err != nil {
				return usageErr(a.t("cli.periods.bad_date", date))
			}
			asOf = d
		}
		return a.periods(args[0], asOf, jsonOut)
	}
	return c
}

// periods prints the poortwachter view of a profile from its stored state.
func (a *app) periods(name string, asOf time.Time, jsonOut bool) error {
	s, _, err := a.openProfile(name)
	if err != nil {
		return err
	}
	defer s.Close()
	v, err := engine.ReadPoortwachter(a.ctx, s, name, asOf, a.periodsProgress())
	if err != nil {
		return failErr(err)
	}
	if jsonOut {
		return writeJSON(a.stdout, v)
	}
	a.printPeriods(a.stdout, v)
	return nil
}

// periodsProgress reports on stderr how far the reading is, once it has taken a second.
func (a *app) periodsProgress() func(int) {
	start, last := time.Now(), time.Time{}
	return func(n int) {
		if now := time.Now(); now.Sub(start) > time.Second && now.Sub(last) > time.Second/2 {
			last = now
			fmt.Fprintln(a.stderr, a.t("cli.periods.progress", strconv.Itoa(n)))
		}
	}
}

func (a *app) printPeriods(w io.Writer, v *engine.Poortwachter) {
	fmt.Fprintln(w, a.t("periods.title", v.Profile, v.AsOf))
	if v.Run == "" {
		fmt.Fprintln(w, a.t("periods.no_delivery", v.Profile))
		return
	}
	delivered := v.Delivered
	if t, err := time.Parse(time.RFC3339, v.Delivered); err == nil {
		delivered = t.Local().Format("2006-01-02 15:04")
	}
	fmt.Fprintln(w, a.t("periods.source", v.Run, delivered))
	fmt.Fprintln(w, a.t("periods.count", strconv.Itoa(len(v.Open)), strconv.Itoa(v.Absences), strconv.Itoa(v.Holders)))
	if len(v.Open) == 0 {
		fmt.Fprintln(w, "\n"+a.t("periods.none", v.AsOf))
		return
	}
	for _, op := range v.Open {
		fmt.Fprintln(w)
		fmt.Fprintln(w, a.t("periods.holder", op.Employer+"/"+op.Employee, op.FirstDay, strconv.Itoa(op.Week), strconv.Itoa(op.SickDays), strconv.Itoa(op.GapDays)))
		if op.Next == nil {
			fmt.Fprintf(w, "  %s\n", a.t("periods.all_past"))
		}
		for i, m := range op.Milestones {
			label := ""
			switch {
			case m.Past:
				label = "✓ " + a.t("periods.past")
			case i == 0:
				label = "» " + a.t("periods.next")
			}
			fmt.Fprintf(w, "  %-11s %s  %-9s %s\n", label, m.Date, a.t("periods.week", strconv.Itoa(m.Week)), a.t("periods.ms."+m.Code))
		}
		if op.Estimated {
			fmt.Fprintf(w, "  %s\n", a.t("periods.estimated"))
		}
	}
}
