package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

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
	WriteConnectors(a.stdout)
	return nil
}

// WriteConnectors writes the GetConnector definitions a customer's AFAS administrator builds.
func WriteConnectors(w io.Writer) {
	fmt.Fprintln(w, "GetConnectors for koppel (AFAS Profit → Xpert Suite)")
	fmt.Fprintln(w, "Build these in one App Connector and generate a token for its user. Add no other fields:")
	fmt.Fprintln(w, "koppel refuses connectors that expose more (data minimisation; for absences the privacy rule).")
	for _, c := range connectors.Standard() {
		fmt.Fprintf(w, "\n%s — %s\n  sort on: %s\n", c.ID, c.Purpose, strings.Join(c.Sort, ", "))
		for _, f := range c.Fields {
			key := ""
			if f.Key {
				key = " (key)"
			}
			fmt.Fprintf(w, "  %-34s %-8s %s%s\n", f.Name, f.Kind, f.Meaning, key)
		}
		if c.Role == connectors.Dienstverbanden {
			fmt.Fprintf(w, "  %-34s %-8s %s\n", "(salary column, optional)", "decimal", "one wage column named in the profile: bruto maandloon, bruto vier-wekenloon or SV-loon")
		}
	}
}
