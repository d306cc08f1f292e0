package main

import (
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
		connectors.WriteText(a.stdout, a.lang, "")
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
