// Package connectors is koppel's connector table: one row per GetConnector with every fact about
// it — role, standard id, key and sort, whitelist, date-from filter, the entity it feeds, which
// couplings read it and how its rows become the rules' typed records. The table is the contract
// with the customer's AFAS administrator (shared spec getconnectors.md); profile, engine, verify
// and the screens derive everything from it, so a new connector is a new row.
package connectors

import (
	"slices"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/periods"
)

// Roles of the standard connectors; a profile may give each a different id.
const (
	Organisatie     = "organisatie"
	Medewerkers     = "medewerkers"
	Dienstverbanden = "dienstverbanden"
	Verzuim         = "verzuim"
	Plaatsingen     = "plaatsingen"
	Dossieritems    = "dossieritems"
)

// Field is one whitelisted field.
type Field struct {
	Name    string
	Kind    afas.Kind
	Key     bool
	Meaning string
}

// Coupling names, as the profile and the command line use them.
const (
	CouplingWerknemer = "werknemer"
	CouplingVerzuim   = "verzuim"
	// CouplingDocumenten is AFAS Documenten: dossier items' attachments (documents.md).
	CouplingDocumenten = "documenten"
)

// Selection is what a run (or a check) covers: the couplings and the profile switches that
// change which connectors are read.
type Selection struct {
	Werknemer, Verzuim bool
	// Flex is the profile's flex switch: the placements are read.
	Flex       bool
	Documenten bool
}

// SelectionOf builds a selection from coupling names.
func SelectionOf(couplings []string) Selection {
	return Selection{Werknemer: slices.Contains(couplings, CouplingWerknemer), Verzuim: slices.Contains(couplings, CouplingVerzuim),
		Documenten: slices.Contains(couplings, CouplingDocumenten)}
}

// Connector is one row of the connector table.
type Connector struct {
	Role    string // the profile's key under connectors:, and koppel's name for it
	ID      string // standard id; a profile may rename it
	Purpose string
	Sort    []string // the unique key, in sort order; reads page on it
	Fields  []Field
	// DateFilter is the field AFAS filters on date-from (empty, or on/after it); "" reads all rows.
	DateFilter string
	// HistoryDays widens that filter to so many days before date-from: rows read for a rule
	// (the composite absence periods) but never delivered.
	HistoryDays int
	// Entity is the summary entity whose "fetched" count this connector's rows are.
	Entity string
	// Salary marks the connector that carries the profile's optional salary column.
	Salary bool
	// Needed tells whether a selection reads the connector. AFAS Verzuim needs the departments,
	// employees and employments too: they decide which employees are delivered, and an absence of
	// one who is not is Uitval. It reads them without delivering their files.
	Needed func(Selection) bool
	// Decoder returns the conversion of a decoded row into the rules' typed record
	// (mapping.Unit, Employee, …), for one goroutine: a goroutine converting rows makes its own.
	Decoder func(salaryColumn string) func(afas.Row) any
	// TypeFilter is the field a read filters on the profile's whitelist of types (equal to one
	// of them): rows of other types are never requested.
	TypeFilter string
}

// Whitelist returns the connector's decodable fields, plus the salary column when set.
func (c Connector) Whitelist(salaryColumn string) afas.Fields {
	fs := make(afas.Fields, len(c.Fields)+1)
	for _, f := range c.Fields {
		fs[f.Name] = f.Kind
	}
	if c.Salary && salaryColumn != "" {
		fs[salaryColumn] = afas.Decimal
	}
	return fs
}

// Keys returns the connector's key fields.
func (c Connector) Keys() []Field {
	var ks []Field
	for _, f := range c.Fields {
		if f.Key {
			ks = append(ks, f)
		}
	}
	return ks
}

// Field returns a field of the connector by name.
func (c Connector) Field(name string) (Field, bool) {
	for _, f := range c.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Field names used by the mapping rules.
const (
	FOrgEenheid      = "Organisatorische_eenheid"
	FOmschrijving    = "Omschrijving"
	FBovenliggende   = "Bovenliggende_eenheid"
	FLeidinggevende  = "Medewerkernummer_leidinggevende"
	FWerkgever       = "Werkgever_code"
	FVervallen       = "Vervallen"
	FMedewerker      = "Medewerker"
	FPersoonsnummer  = "Persoonsnummer"
	FBSN             = "BSN"
	FVoorletters     = "Voorletters"
	FVoornaam        = "Voornaam"
	FRoepnaam        = "Roepnaam"
	FVoorvoegsel     = "Voorvoegsel"
	FGeboortenaam    = "Geboortenaam"
	FVoorvoegselPart = "Voorvoegsel_partner"
	FGeboortenaamPar = "Geboortenaam_partner"
	FNaamgebruik     = "Naamgebruik"
	FGeslacht        = "Geslacht"
	FGeboortedatum   = "Geboortedatum"
	FEmail           = "Email_werk"
	FTelefoon        = "Telefoonnr_werk"
	FMobiel          = "Mobielnr_werk"
	FGewijzigd       = "Gewijzigd_op"
	FDienstverband   = "Dienstverband"
	FBegin           = "Begindatum_contract"
	FEinde           = "Einddatum_contract"
	FAfdeling        = "Organisatorische_eenheid_code"
	FFunctieCode     = "Functie_code"
	FFunctie         = "Functie_omschrijving"
	FUren            = "Uren_per_week"
	FParttime        = "Parttime_percentage"
	FTypeContract    = "Type_contract"
	FVerzuimID       = "Verzuim_id"
	FVerloopID       = "Verloop_id"
	FEersteDag       = "Eerste_verzuimdag"
	FZiekmelding     = "Datum_ziekmelding"
	FVerwachtHerstel = "Verwachte_hersteldatum"
	FHersteld        = "Datum_hersteld"
	FTypeVerzuim     = "Type_verzuim"
	FTypeVerzuimOms  = "Type_verzuim_omschrijving"
	FVerloopDatum    = "Verloop_datum"
	FAanwezig        = "Percentage_aanwezig"
	FVangnet         = "Vangnet"
)

// Standard returns the connector table, in the order koppel documents and reads them.
func Standard() []Connector {
	s, i, d, b, dt := afas.String, afas.Int, afas.Decimal, afas.Bool, afas.Date
	always := func(sel Selection) bool { return sel.Werknemer || sel.Verzuim || sel.Documenten }
	return []Connector{
		{
			Role: Organisatie, ID: "Koppel_Organisatie", Purpose: "organisational units (departments), one row per unit",
			Sort: []string{FOrgEenheid}, Entity: mapping.Departments, Needed: always,
			Decoder: unitDecoder,
			Fields: []Field{
				{FOrgEenheid, s, true, "unit code"},
				{FOmschrijving, s, false, "name"},
				{FBovenliggende, s, false, "parent unit code; empty for a root"},
				{FLeidinggevende, s, false, "Medewerker number of the unit's manager; may be empty"},
				{FWerkgever, s, false, "employer the unit belongs to; empty means the profile's default employer"},
				{FVervallen, b, false, "true when the unit is no longer in use"},
			},
		},
		{
			Role: Medewerkers, ID: "Koppel_Medewerkers", Purpose: "employees, one row per employee record (Medewerker)",
			Sort: []string{FMedewerker}, Entity: mapping.Employees, Needed: always,
			Decoder: employeeDecoder,
			Fields: []Field{
				{FMedewerker, s, true, "employee number"},
				{FPersoonsnummer, s, false, "person number; several Medewerker records can share one person"},
				{FBSN, s, false, "citizen service number; may be empty"},
				{FVoorletters, s, false, "initials"},
				{FVoornaam, s, false, "first name(s)"},
				{FRoepnaam, s, false, "name used"},
				{FVoorvoegsel, s, false, "prefix of the birth name (\"van der\")"},
				{FGeboortenaam, s, false, "birth surname"},
				{FVoorvoegselPart, s, false, "prefix of the partner's surname"},
				{FGeboortenaamPar, s, false, "partner's surname"},
				{FNaamgebruik, i, false, "0 own name; 1 partner's name + own name; 2 partner's name; 3 own name + partner's name"},
				{FGeslacht, s, false, "M man, V vrouw, X non-binair, O onbekend"},
				{FGeboortedatum, dt, false, "date of birth"},
				{FEmail, s, false, "work e-mail"},
				{FTelefoon, s, false, "work phone"},
				{FMobiel, s, false, "work mobile"},
				{FGewijzigd, dt, false, "last modification"},
			},
		},
		{
			Role: Dienstverbanden, ID: "Koppel_Dienstverbanden", Purpose: "employments, one row per employment with its current placement",
			Sort: []string{FMedewerker, FDienstverband}, Entity: mapping.Employments, Needed: always,
			DateFilter: FEinde, Salary: true,
			Decoder: employmentDecoder,
			Fields: []Field{
				{FMedewerker, s, true, "employee number"},
				{FDienstverband, i, true, "employment sequence number of this employee"},
				{FWerkgever, s, false, "employer of this employment"},
				{FBegin, dt, false, "start"},
				{FEinde, dt, false, "end; empty when open-ended"},
				{FAfdeling, s, false, "department"},
				{FFunctieCode, s, false, "job code"},
				{FFunctie, s, false, "job title"},
				{FUren, d, false, "contracted hours per week"},
				{FParttime, d, false, "part-time percentage"},
				{FTypeContract, s, false, "e.g. \"Onbepaalde tijd\", \"Bepaalde tijd\""},
				{FLeidinggevende, s, false, "manager's Medewerker number; may be empty"},
				{FGewijzigd, dt, false, "last modification"},
			},
		},
		{
			Role: Verzuim, ID: "Koppel_Verzuim", Purpose: "absences, one row per progress entry (verzuimverloop); no reason, diagnosis or free text",
			Sort: []string{FVerzuimID, FVerloopID}, Entity: mapping.Absences,
			Needed: func(sel Selection) bool { return sel.Verzuim }, DateFilter: FHersteld, HistoryDays: periods.HistoryDays,
			Decoder: absenceDecoder,
			Fields: []Field{
				{FVerzuimID, i, true, "absence id"},
				{FVerloopID, i, true, "progress entry id"},
				{FMedewerker, s, false, "employee number"},
				{FWerkgever, s, false, "employer"},
				{FEersteDag, dt, false, "first day of absence"},
				{FZiekmelding, dt, false, "date the absence was reported"},
				{FVerwachtHerstel, dt, false, "expected recovery date; may be empty"},
				{FHersteld, dt, false, "full recovery date; empty while still absent"},
				{FTypeVerzuim, s, false, "AFAS absence classification code"},
				{FTypeVerzuimOms, s, false, "its description (one of the eight AFAS classifications)"},
				{FVerloopDatum, dt, false, "date from which this entry's percentage applies"},
				{FAanwezig, d, false, "presence percentage from that date (0 = fully absent, 100 = fully present)"},
				{FVangnet, b, false, "whether a safety-net provision applies (only whether, never which)"},
				{FGewijzigd, dt, false, "last modification"},
			},
		},
		flexConnector(),
		dossieritems(),
	}
}

// Needed returns the connectors a selection reads, in table order.
func Needed(sel Selection) []Connector {
	var out []Connector
	for _, c := range Standard() {
		if c.Needed(sel) {
			out = append(out, c)
		}
	}
	return out
}

// ByRole returns the standard connector for a role.
func ByRole(role string) (Connector, bool) {
	for _, c := range Standard() {
		if c.Role == role {
			return c, true
		}
	}
	return Connector{}, false
}
