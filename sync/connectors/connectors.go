// Package connectors defines koppel's standard GetConnectors: the contract with the customer's
// AFAS administrator (shared spec getconnectors.md). The AFAS client decodes only these fields.
package connectors

import (
	"github.com/koppel-nl/koppel/sync/afas"
)

// Roles of the standard connectors; a profile may give each a different id.
const (
	Organisatie     = "organisatie"
	Medewerkers     = "medewerkers"
	Dienstverbanden = "dienstverbanden"
	Verzuim         = "verzuim"
)

// Field is one whitelisted field.
type Field struct {
	Name    string
	Kind    afas.Kind
	Key     bool
	Meaning string
}

// Connector is one standard GetConnector.
type Connector struct {
	Role    string
	ID      string // standard id; a profile may rename it
	Purpose string
	Sort    []string
	Fields  []Field
}

// Whitelist returns the connector's decodable fields, plus the salary column when set.
func (c Connector) Whitelist(salaryColumn string) afas.Fields {
	fs := make(afas.Fields, len(c.Fields)+1)
	for _, f := range c.Fields {
		fs[f.Name] = f.Kind
	}
	if c.Role == Dienstverbanden && salaryColumn != "" {
		fs[salaryColumn] = afas.Decimal
	}
	return fs
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

// Standard returns the four standard connectors, in the order koppel documents them.
func Standard() []Connector {
	s, i, d, b, dt := afas.String, afas.Int, afas.Decimal, afas.Bool, afas.Date
	return []Connector{
		{
			Role: Organisatie, ID: "Koppel_Organisatie", Purpose: "organisational units (departments), one row per unit",
			Sort: []string{FOrgEenheid},
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
			Sort: []string{FMedewerker},
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
			Sort: []string{FMedewerker, FDienstverband},
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
			Sort: []string{FVerzuimID, FVerloopID},
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
	}
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
