package main

import (
	"flag"

	"github.com/koppel-nl/koppel/sync/connectors"
)

func (a *app) cmdConnectors(args []string) error {
	fs := flag.NewFlagSet("connectors", flag.ContinueOnError)
	jsonOut := fs.Bool("json", false, "JSON output")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *jsonOut {
		type field struct {
			Name    string `json:"name"`
			Type    string `json:"type"`
			Key     bool   `json:"key,omitempty"`
			Meaning string `json:"meaning"`
		}
		type con struct {
			ID      string   `json:"id"`
			Purpose string   `json:"purpose"`
			Sort    []string `json:"sort"`
			Fields  []field  `json:"fields"`
		}
		var out []con
		for _, c := range connectors.Standard() {
			cc := con{ID: c.ID, Purpose: c.Purpose, Sort: c.Sort}
			for _, f := range c.Fields {
				cc.Fields = append(cc.Fields, field{f.Name, f.Kind.String(), f.Key, f.Meaning})
			}
			out = append(out, cc)
		}
		return writeJSON(a.stdout, out)
	}
	connectors.WriteText(a.stdout)
	return nil
}
