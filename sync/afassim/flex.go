package afassim

import (
	"slices"
	"strconv"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	c "github.com/koppel-nl/koppel/sync/connectors"
)

// Flex persons and records of the AFAS Flex dataset, for tests and the demo.
const (
	FlexPersonThree    = "F000001" // three records: 800011 (ended before 2024), 800012, 800013 (primary)
	FlexPersonTwo      = "F000002" // two records that disagree on the birth date
	FlexNoPersonRecord = "800031"  // a record without Persoonsnummer
)

// AddFlex turns a dataset into an AFAS Flex environment: Koppel_Plaatsingen, and flex workers
// with two or three employee records each. Placements at several clients cover running, ended,
// future and long-ended ones, one that ends before it starts, a duplicate and one of an unknown
// record; a record has no Persoonsnummer; two records of one person disagree on the birth date;
// and absences on different records of one person form one composite period. The random
// records of Generate (every 50th a second record of an earlier person) get placements too.
func AddFlex(ds *Dataset) {
	con, _ := c.ByRole(c.Plaatsingen)
	var fs []afas.SchemaField
	for _, f := range con.Fields {
		fs = append(fs, afas.SchemaField{Name: f.Name, Kind: f.Kind, XSD: f.Kind.XSDType()})
	}
	pl := newTable(con.ID, fs)
	pl.Key, pl.std = slices.Clone(con.Sort), con.ID
	ds.Tables[con.ID] = pl
	emp := ds.Tables["Koppel_Medewerkers"]
	dv := ds.Tables["Koppel_Dienstverbanden"]
	vz := ds.Tables["Koppel_Verzuim"]
	ref := ds.Ref
	d := func(y int, m time.Month, dd int) string { return day(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)) }
	team := dv.Rows[0][dv.Col(c.FAfdeling)]
	if len(dv.Rows) > 2 {
		team = dv.Rows[2][dv.Col(c.FAfdeling)]
	}
	person := func(mw, pnr, first, name, birth, email string) {
		emp.add(map[string]string{
			c.FMedewerker: mw, c.FPersoonsnummer: pnr, c.FVoorletters: first[:1] + ".", c.FVoornaam: first, c.FRoepnaam: first,
			c.FGeboortenaam: name, c.FNaamgebruik: "0", c.FGeslacht: "V", c.FGeboortedatum: birth, c.FEmail: email,
			c.FGewijzigd: day(ref.AddDate(0, 0, -20)),
		})
	}
	employment := func(mw, employer, begin, end string) {
		dv.add(map[string]string{
			c.FMedewerker: mw, c.FDienstverband: "1", c.FWerkgever: employer, c.FBegin: begin, c.FEinde: end,
			c.FAfdeling: team, c.FFunctieCode: "UK1", c.FFunctie: "Uitzendkracht", c.FUren: "24", c.FParttime: "66.67",
			c.FTypeContract: "Bepaalde tijd", c.FGewijzigd: day(ref.AddDate(0, 0, -20)), SalaryColumn: "2500.00",
		})
	}
	placement := func(id int, mw, client, name, begin, end, job, hours string) {
		pl.add(map[string]string{
			c.FPlaatsing: strconv.Itoa(id), c.FMedewerker: mw, c.FOpdrachtgever: client, c.FOpdrachtgeverNaam: name,
			c.FBeginPlaatsing: begin, c.FEindePlaatsing: end, c.FFunctie: job, c.FUren: hours, c.FGewijzigd: day(ref.AddDate(0, 0, -10)),
		})
	}
	absence := func(id int, mw, employer, first, recovered string) {
		vz.add(map[string]string{
			c.FVerzuimID: strconv.Itoa(id), c.FVerloopID: strconv.Itoa(id*10 + 1), c.FMedewerker: mw, c.FWerkgever: employer,
			c.FEersteDag: first, c.FZiekmelding: first, c.FHersteld: recovered, c.FTypeVerzuim: "ZK", c.FTypeVerzuimOms: "Ziek",
			c.FVerloopDatum: first, c.FAanwezig: "0", c.FVangnet: "false", c.FGewijzigd: first,
		})
	}
	zbv, tzv := ds.Employers[0], ds.Employers[1]

	// F000001: three records, one per label; the last started is the primary record.
	person("800011", FlexPersonThree, "Femke", "Flex", d(1991, 4, 12), "femke.flex@zbv.example")
	person("800012", FlexPersonThree, "Femke", "Flex", d(1991, 4, 12), "femke.flex@tzv.example")
	person("800013", FlexPersonThree, "Femke", "Flex-Jansen", d(1991, 4, 12), "f.flex@zbv.example")
	employment("800011", zbv, d(2019, 3, 1), d(2023, 6, 30))
	employment("800012", tzv, d(2023, 7, 1), "")
	employment("800013", zbv, d(2025, 2, 1), "")
	placement(7001, "800012", "K100", "Bouwbedrijf De Toren", d(2023, 7, 1), d(2024, 12, 31), "Timmerman", "24")
	placement(7002, "800013", "K200", "Distributiecentrum Waalwijk", d(2025, 2, 1), "", "Orderpicker", "32")
	placement(7003, "800013", "K300", "Kwekerij Westland", day(ref.AddDate(0, 1, 0)), "", "Oogstmedewerker", "16")
	placement(7004, "800011", "K100", "Bouwbedrijf De Toren", d(2019, 3, 1), d(2023, 5, 31), "Timmerman", "36")
	// Ill on one record, recovered, ill again 21 days later on another: one composite period.
	absence(96001, "800012", tzv, d(2025, 1, 6), d(2025, 1, 27))
	absence(96002, "800013", zbv, d(2025, 2, 17), "")

	// F000002: two records that disagree on the birth date.
	person("800021", FlexPersonTwo, "Bas", "Bijbaan", d(1988, 9, 3), "bas.bijbaan@zbv.example")
	person("800022", FlexPersonTwo, "Bas", "Bijbaan", d(1988, 3, 9), "bas.bijbaan@tzv.example")
	employment("800021", zbv, d(2022, 1, 10), "")
	employment("800022", tzv, d(2024, 5, 1), "")
	placement(7005, "800021", "K400", "Schoonmaak Centraal", d(2025, 6, 1), d(2025, 3, 1), "Schoonmaker", "20") // ends before it starts
	placement(7006, "800022", "K200", "Distributiecentrum Waalwijk", d(2024, 5, 1), "", "Heftruckchauffeur", "40")
	placement(7006, "800022", "K200", "Distributiecentrum Waalwijk", d(2024, 5, 1), "", "Heftruckchauffeur", "40") // the same placement twice
	absence(96003, "800021", zbv, day(ref.AddDate(0, 0, -12)), "")

	// A record without Persoonsnummer: its employment, placement and absence are Uitval.
	person(FlexNoPersonRecord, "", "Noor", "Zondernummer", d(1999, 1, 1), "noor.z@zbv.example")
	employment(FlexNoPersonRecord, zbv, d(2024, 2, 1), "")
	placement(7007, FlexNoPersonRecord, "K100", "Bouwbedrijf De Toren", d(2024, 2, 1), "", "Opperman", "24")
	absence(96004, FlexNoPersonRecord, zbv, day(ref.AddDate(0, 0, -30)), "")

	// A placement of a record AFAS does not know.
	placement(7008, "899999", "K300", "Kwekerij Westland", d(2024, 8, 1), "", "Oogstmedewerker", "16")

	// The generated records: a placement per record that is a second record of its person.
	seen := map[string]bool{}
	id := 7100
	for _, row := range emp.Rows {
		pnr, mw := row[emp.Col(c.FPersoonsnummer)], row[emp.Col(c.FMedewerker)]
		if pnr == "" || len(mw) == 0 || mw[0] == '8' {
			continue
		}
		if seen[pnr] {
			id++
			placement(id, mw, "K500", "Zorginstelling Rijnmond", d(2024, 3, 1), "", "Helpende", "20")
		}
		seen[pnr] = true
	}
}
