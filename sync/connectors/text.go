package connectors

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the GetConnector definitions a customer's AFAS administrator builds.
func WriteText(w io.Writer) {
	fmt.Fprintln(w, "GetConnectors for koppel (AFAS Profit → Xpert Suite)")
	fmt.Fprintln(w, "Build these in one App Connector and generate a token for its user. Add no other fields:")
	fmt.Fprintln(w, "koppel refuses connectors that expose more (data minimisation; for absences the privacy rule).")
	for _, c := range Standard() {
		fmt.Fprintf(w, "\n%s — %s\n  sort on: %s\n", c.ID, c.Purpose, strings.Join(c.Sort, ", "))
		for _, f := range c.Fields {
			key := ""
			if f.Key {
				key = " (key)"
			}
			fmt.Fprintf(w, "  %-34s %-8s %s%s\n", f.Name, f.Kind, f.Meaning, key)
		}
		if c.Role == Dienstverbanden {
			fmt.Fprintf(w, "  %-34s %-8s %s\n", "(salary column, optional)", "decimal", "one wage column named in the profile: bruto maandloon, bruto vier-wekenloon or SV-loon")
		}
	}
}
