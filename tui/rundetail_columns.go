package tui

import (
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
)

// columnNames names a run's columns as the profile's files do now (delivery.columns), so a
// change reads in the consultant's terms; a profile deleted since keeps koppel's names.
type columnNames struct{ p *profile.Profile }

func newColumnNames(e *env, name string) columnNames {
	p, err := e.Store.Profile(name)
	if err != nil {
		return columnNames{}
	}
	return columnNames{p}
}

// of are an entity's column names in koppel's order, and which ones the file leaves out.
func (c columnNames) of(entity string) ([]string, []bool) { return engine.ColumnNames(c.p, entity) }
