package engine

import (
	"slices"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
)

// In flex mode an employee record is explained as its person (flex.md): the rules need every
// employee record (a manager is translated to its person) and the rows of all the person's
// records (its primary record, its absences and placements).

// forRecords narrows filters to the rows of these employee records.
func forRecords(fs []afas.Filter, records []string) []afas.Filter {
	var out []afas.Filter
	for _, r := range records {
		out = append(out, and(fs, afas.Cond{Field: connectors.FMedewerker, Op: afas.OpEqual, Value: r})...)
	}
	return out
}

// personRecords are the records of the person asked, by one of their records or by their
// Persoonsnummer (just the record when it has no Persoonsnummer), and the Persoonsnummer.
func personRecords(employees []any, asked string) ([]string, string) {
	pnr := ""
	for _, v := range employees {
		if e := recordOf[mapping.Employee](v); e.Medewerker == asked {
			pnr = e.Persoonsnummer
		}
	}
	if pnr == "" {
		// In flex mode a Persoonsnummer names the person too.
		for _, v := range employees {
			if recordOf[mapping.Employee](v).Persoonsnummer == asked {
				pnr = asked
				break
			}
		}
	}
	if pnr == "" {
		return []string{asked}, ""
	}
	var out []string
	for _, v := range employees {
		if e := recordOf[mapping.Employee](v); e.Persoonsnummer == pnr && !slices.Contains(out, e.Medewerker) {
			out = append(out, e.Medewerker)
		}
	}
	return out, pnr
}

// explainedNumber is the Personeelsnummer the explained rows are delivered under.
func explainedNumber(p *profile.Profile, medewerker, persoonsnummer string) string {
	if p.Flex.Enabled && persoonsnummer != "" {
		return p.Rewrite.Employee.Apply(persoonsnummer)
	}
	return p.Rewrite.Employee.Apply(medewerker)
}

// explainPlacements maps the person's placements as a run does.
func explainPlacements(m *mapping.Mapper, rows []any) []mapping.Record {
	var out []mapping.Record
	for _, v := range rows {
		if rec, ok := m.Placement(v.(mapping.Placement)); ok {
			out = append(out, rec)
		}
	}
	return out
}
