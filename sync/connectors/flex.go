package connectors

import (
	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/mapping"
)

// Field names of Koppel_Plaatsingen (flex.md) beyond the shared ones.
const (
	FPlaatsing         = "Plaatsing"
	FOpdrachtgever     = "Opdrachtgever_code"
	FOpdrachtgeverNaam = "Opdrachtgever_naam"
	FBeginPlaatsing    = "Begindatum_plaatsing"
	FEindePlaatsing    = "Einddatum_plaatsing"
)

// flexConnector is the row of Koppel_Plaatsingen: placements of flex workers at clients, read
// whenever the profile's flex switch is on, like the standard four.
func flexConnector() Connector {
	s, i, d, dt := afas.String, afas.Int, afas.Decimal, afas.Date
	return Connector{
		Role: Plaatsingen, ID: "Koppel_Plaatsingen", Purpose: "placements of flex workers at clients, one row per placement (AFAS Flex only)",
		Sort: []string{FPlaatsing}, Entity: mapping.Placements, DateFilter: FEindePlaatsing,
		Needed:  func(sel Selection) bool { return sel.Flex && (sel.Werknemer || sel.Verzuim) },
		Decoder: byName(PlacementFrom),
		Fields: []Field{
			{FPlaatsing, i, true, "placement id"},
			{FMedewerker, s, false, "the employee record the placement belongs to"},
			{FOpdrachtgever, s, false, "client (inlener) code"},
			{FOpdrachtgeverNaam, s, false, "client name"},
			{FBeginPlaatsing, dt, false, "start"},
			{FEindePlaatsing, dt, false, "end; empty while running"},
			{FFunctie, s, false, "job at the client"},
			{FUren, d, false, "hours per week at the client"},
			{FGewijzigd, dt, false, "last modification"},
		},
	}
}

// PlacementFrom converts a decoded Koppel_Plaatsingen row.
func PlacementFrom(r afas.Row) mapping.Placement {
	return mapping.Placement{
		Plaatsing: r.Int(FPlaatsing), Medewerker: str(r, FMedewerker),
		Client: str(r, FOpdrachtgever), ClientName: str(r, FOpdrachtgeverNaam),
		Begin: date(r, FBeginPlaatsing), Einde: date(r, FEindePlaatsing),
		Functie: str(r, FFunctie), Uren: r.Get(FUren, afas.Decimal), Errs: errsOf(r), Cleaned: cleanedOf(r),
	}
}
