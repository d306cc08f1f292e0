package connectors

import (
	"fmt"
	"io"
	"strings"

	"github.com/koppel-nl/koppel/sync/i18n"
)

// WriteText writes the GetConnector definitions a customer's AFAS administrator builds, in a
// language (catalog codes cli.conn.…); salaryColumn, when set, names the customer's chosen salary
// field in place of the optional one.
func WriteText(w io.Writer, l i18n.Lang, salaryColumn string) {
	fmt.Fprintln(w, l.T("cli.conn.title"))
	fmt.Fprintln(w, l.T("cli.conn.intro"))
	for _, c := range Standard() {
		fmt.Fprintf(w, "\n%s — %s\n  %s %s\n", c.ID, l.T("cli.conn."+c.Role+".purpose"), l.T("cli.conn.sort"), strings.Join(c.Sort, ", "))
		for _, f := range c.Fields {
			key := ""
			if f.Key {
				key = " (" + l.T("cli.conn.key") + ")"
			}
			fmt.Fprintf(w, "  %-34s %-8s %s%s\n", f.Name, f.Kind, l.T("cli.conn."+c.Role+"."+f.Name), key)
		}
		if c.Salary {
			name := "(" + l.T("cli.conn.salary_name") + ")"
			if salaryColumn != "" {
				name = salaryColumn
			}
			fmt.Fprintf(w, "  %-34s %-8s %s\n", name, "decimal", l.T("cli.conn.salary_meaning"))
		}
	}
}
