package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/i18n"
)

func (a *app) connectorsCommand() *cobra.Command {
	var jsonOut bool
	c := a.command("connectors", "connectors")
	c.Args = a.nArgs(0, 0, "cli.args.none")
	a.flags(c.Flags()).boolVar(&jsonOut, "json", "", "cli.flag.json")
	c.RunE = func(*cobra.Command, []string) error {
		if jsonOut {
			return writeJSON(a.stdout, connectorsJSON(a.lang))
		}
		writeConnectors(a.stdout, a.lang)
		return nil
	}
	return c
}

type connectorField struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Key     bool   `json:"key,omitempty"`
	Meaning string `json:"meaning"`
}

type connectorDef struct {
	ID      string           `json:"id"`
	Purpose string           `json:"purpose"`
	Sort    []string         `json:"sort"`
	Fields  []connectorField `json:"fields"`
}

func connectorsJSON(l i18n.Lang) []connectorDef {
	out := []connectorDef{}
	for _, c := range connectors.Standard() {
		cc := connectorDef{ID: c.ID, Purpose: l.T("cli.conn." + c.Role + ".purpose"), Sort: c.Sort, Fields: []connectorField{}}
		for _, f := range c.Fields {
			cc.Fields = append(cc.Fields, connectorField{f.Name, f.Kind.String(), f.Key, l.T("cli.conn." + c.Role + "." + f.Name)})
		}
		out = append(out, cc)
	}
	return out
}

// writeConnectors writes the GetConnector definitions a customer's AFAS administrator builds,
// in a language: connectors.WriteText's text, from the catalog.
func writeConnectors(w io.Writer, l i18n.Lang) {
	fmt.Fprintln(w, l.T("cli.conn.title"))
	fmt.Fprintln(w, l.T("cli.conn.intro"))
	for _, c := range connectors.Standard() {
		fmt.Fprintf(w, "\n%s — %s\n  %s %s\n", c.ID, l.T("cli.conn."+c.Role+".purpose"), l.T("cli.conn.sort"), strings.Join(c.Sort, ", "))
		for _, f := range c.Fields {
			key := ""
			if f.Key {
				key = " (" + l.T("cli.conn.key") + ")"
			}
			fmt.Fprintf(w, "  %-34s %-8s %s%s\n", f.Name, f.Kind, l.T("cli.conn."+c.Role+"."+f.Name), key)
		}
		if c.Salary {
			fmt.Fprintf(w, "  %-34s %-8s %s\n", "("+l.T("cli.conn.salary_name")+")", "decimal", l.T("cli.conn.salary_meaning"))
		}
	}
}
