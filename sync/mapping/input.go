package mapping

import (
	"time"

	"github.com/koppel-nl/koppel/sync/values"
)

// The typed records koppel keeps of each connector row: only whitelisted fields, so nothing else
// can reach the mapping, the store or a file. Errs carries values AFAS sent in a wrong form;
// Cleaned names fields whose control characters were replaced by spaces. The connector table
// (sync/connectors) builds them from the rows the AFAS client decodes.

// Unit is a Koppel_Organisatie row.
type Unit struct {
	Code, Name, Parent, Manager, Employer string
	Vervallen                             bool
	Errs                                  []values.FieldError
	Cleaned                               []string
}

// Employee is a Koppel_Medewerkers row.
type Employee struct {
	Medewerker, Persoonsnummer, BSN         string
	Voorletters, Voornaam, Roepnaam         string
	Voorvoegsel, Geboortenaam               string
	VoorvoegselPartner, GeboortenaamPartner string
	Naamgebruik                             int64
	Geslacht                                string
	Geboortedatum                           time.Time
	Email, Telefoon, Mobiel                 string
	Errs                                    []values.FieldError
	Cleaned                                 []string
}

// Employment is a Koppel_Dienstverbanden row.
type Employment struct {
	Medewerker     string
	Dienstverband  int64
	Employer       string
	Begin, Einde   time.Time
	Afdeling       string
	FunctieCode    string
	Functie        string
	Uren, Parttime values.Value
	TypeContract   string
	Manager        string
	Salary         values.Value
	SalaryBad      string // the salary value's parse problem, reported as runlog.Waarschuwing not runlog.Uitval
	Errs           []values.FieldError
	Cleaned        []string
}

// Absence is a Koppel_Verzuim row: one progress entry of an absence.
type Absence struct {
	VerzuimID, VerloopID     int64
	Medewerker, Employer     string
	EersteDag, Ziekmelding   time.Time
	VerwachtHerstel, Herstel time.Time
	Type, TypeOmschrijving   string
	VerloopDatum             time.Time
	Aanwezig                 values.Value
	Vangnet                  bool
	Errs                     []values.FieldError
	Cleaned                  []string
}
