package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/koppel-nl/koppel/sync/engine"
)

func (a *app) explainCommand() *cobra.Command {
	var jsonOut bool
	c := a.command("explain", "explain", "NAME", "MEDEWERKER")
	c.Args = a.nArgs(2, 2, "cli.args.explain")
	c.ValidArgsFunction = a.profileNames
	a.flags(c.Flags()).boolVar(&jsonOut, "json", "", "cli.flag.json")
	c.RunE = func(_ *cobra.Command, args []string) error { return a.explain1(args[0], args[1], jsonOut) }
	return c
}

// explain1 explains one employee: rows read, decisions, the lines a run would deliver and the
// change against the last delivery. It delivers and stores nothing.
func (a *app) explain1(name, medewerker string, jsonOut bool) error {
	s, err := a.needStore(a.unknownProfile(name))
	if err != nil {
		return err
	}
	defer s.Close()
	x, err := engine.New(s).Explain(a.ctx, name, medewerker, engine.Options{})
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
