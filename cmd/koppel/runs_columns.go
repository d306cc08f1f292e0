package main

import (
	"fmt"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
)

// changeJSON is a change of a run with the columns it touched, named as the profile's files
// name them.
type changeJSON struct {
	store.Change
	Fields []engine.ColumnChange `json:"fields,omitempty"`
}

// changeColumns names the columns of a run's changes by the profile's delivery.columns (as the
// profile has them now); a profile deleted since keeps koppel's names.
func (a *app) changeColumns(s *store.Store, name string, changes []store.Change) []changeJSON {
	var p *profile.Profile
	if got, err := s.Profile(name); err == nil {
		p = got
	}
	out := make([]changeJSON, len(changes))
	for i, c := range changes {
		out[i] = changeJSON{Change: engine.MaskedChange(c), Fields: engine.ChangedColumns(p, c)}
	}
	return out
}

// printColumns lists a change's columns under it, a column the file leaves out marked so.
func (a *app) printColumns(fields []engine.ColumnChange) {
	for _, f := range fields {
		note := ""
		if f.NotDelivered {
			note = " " + a.t("cli.columns.not_delivered")
		}
		fmt.Fprintf(a.stdout, "      %s: %q → %q%s\n", f.Column, f.Before, f.After, note)
	}
}
