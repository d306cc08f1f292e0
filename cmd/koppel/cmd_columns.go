package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/koppel-nl/koppel/sync/engine"
)

func (a *app) columnsCommand() *cobra.Command {
	var jsonOut bool
	c := a.command("columns", "columns", "NAME")
	c.Args = a.nArgs(1, 1, "cli.args.profile")
	c.ValidArgsFunction = a.profileNames
	a.flags(c.Flags()).boolVar(&jsonOut, "json", "", "cli.flag.json")
	c.RunE = func(_ *cobra.Command, args []string) error { return a.columns(args[0], jsonOut) }
	return c
}

// columns shows each file's header as a run writes it and an example row from the last
// delivery. It reads the store only.
func (a *app) columns(name string, jsonOut bool) error {
	s, p, err := a.openProfile(name)
	if err != nil {
		return err
	}
	defer s.Close()
	pv, err := engine.PreviewColumns(s, p)
	if err != nil {
		return err // invalid columns are profile.Errors: exit 2 naming the key
	}
	if jsonOut {
		return writeJSON(a.stdout, pv)
	}
	w := a.stdout
	fmt.Fprintln(w, a.t("cli.columns.title", pv.Profile, pv.Mode))
	if pv.Mode == "mutaties" {
		if pv.MutationColumn != "" {
			fmt.Fprintln(w, a.t("cli.columns.mutation", pv.MutationColumn))
		} else {
			fmt.Fprintln(w, a.t("cli.columns.no_mutation"))
		}
	}
	if pv.Delivery != "" {
		fmt.Fprintln(w, a.t("cli.columns.example", pv.Delivery))
	} else {
		fmt.Fprintln(w, a.t("cli.columns.no_delivery"))
	}
	for _, f := range pv.Files {
		fmt.Fprintf(w, "\n%s\n  %s\n", f.File, csvLine(f.Header))
		switch {
		case f.Example != nil:
			fmt.Fprintf(w, "  %s\n", csvLine(f.Example))
			if !f.ExampleSent {
				fmt.Fprintf(w, "  %s\n", a.t("cli.columns.as_change"))
			}
		case pv.Delivery != "":
			fmt.Fprintf(w, "  %s\n", a.t("cli.columns.no_rows"))
		}
	}
	return nil
}

// csvLine renders a row as the delivered files carry it: separator ';', RFC 4180 quoting.
func csvLine(row []string) string {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Comma = ';'
	_ = cw.Write(row)
	cw.Flush()
	return strings.TrimRight(b.String(), "\n")
}
