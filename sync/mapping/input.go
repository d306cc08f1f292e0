package mapping

import (
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	c "github.com/koppel-nl/koppel/sync/connectors"
)

// The typed records koppel keeps of each connector row: only whitelisted fields, so nothing else
// can reach the mapping, the store or a file. Errs carries values AFAS sent in a wrong form.

// Unit is a Koppel_Organisatie row.
type Unit struct {
	Code, Name, Parent, Manager, Employer string
	Vervallen                             bool
	Errs                                  []afas.FieldError
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
	Errs                                    []afas.FieldError
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
	Uren, Parttime afas.Value
	TypeContract   string
	Manager        string
	Salary         afas.Value
	SalaryBad      string // the salary value's parse problem, reported as runlog.Waarschuwing not runlog.Uitval
	Errs           []afas.FieldError
}

// Absence is a Koppel_Verzuim row: one progress entry of an absence.
type Absence struct {
	VerzuimID, VerloopID     int64
	Medewerker, Employer     string
	EersteDag, Ziekmelding   time.Time
	VerwachtHerstel, Herstel time.Time
	Type, TypeOmschrijving   string
	VerloopDatum             time.Time
	Aanwezig                 afas.Value
	Vangnet                  bool
	Errs                     []afas.FieldError
}

func str(r afas.Row, f string) string     { return r.Get(f, afas.String).Str }
func date(r afas.Row, f string) time.Time { return r.Get(f, afas.Date).Time }
func errsOf(r afas.Row) []afas.FieldError {
	if len(r.Errs) == 0 {
		return nil
	}
	return append([]afas.FieldError(nil), r.Errs...)
}

// UnitFrom converts a decoded Koppel_Organisatie row.
func UnitFrom(r afas.Row) Unit {
	return Unit{
		Code: str(r, c.FOrgEenheid), Name: str(r, c.FOmschrijving), Parent: str(r, c.FBovenliggende),
		Manager: str(r, c.FLeidinggevende), Employer: str(r, c.FWerkgever),
		Vervallen: r.Get(c.FVervallen, afas.Bool).Bool, Errs: errsOf(r),
	}
}

// EmployeeFrom converts a decoded Koppel_Medewerkers row.
func EmployeeFrom(r afas.Row) Employee {
	return Employee{
		Medewerker: str(r, c.FMedewerker), Persoonsnummer: str(r, c.FPersoonsnummer), BSN: str(r, c.FBSN),
		Voorletters: str(r, c.FVoorletters), Voornaam: str(r, c.FVoornaam), Roepnaam: str(r, c.FRoepnaam),
		Voorvoegsel: str(r, c.FVoorvoegsel), Geboortenaam: str(r, c.FGeboortenaam),
		VoorvoegselPartner: str(r, c.FVoorvoegselPart), GeboortenaamPartner: str(r, c.FGeboortenaamPar),
		Naamgebruik: r.Get(c.FNaamgebruik, afas.Int).Int, Geslacht: str(r, c.FGeslacht),
		Geboortedatum: date(r, c.FGeboortedatum), Email: str(r, c.FEmail), Telefoon: str(r, c.FTelefoon),
		Mobiel: str(r, c.FMobiel), Errs: errsOf(r),
	}
}

// EmploymentFrom converts a decoded Koppel_Dienstverbanden row. A bad value in the salary column
// is kept apart: the rules make it a Waarschuwing, not an Uitval.
func EmploymentFrom(r afas.Row, salaryColumn string) Employment {
	e := Employment{
		Medewerker: str(r, c.FMedewerker), Dienstverband: r.Get(c.FDienstverband, afas.Int).Int,
		Employer: str(r, c.FWerkgever), Begin: date(r, c.FBegin), Einde: date(r, c.FEinde),
		Afdeling: str(r, c.FAfdeling), FunctieCode: str(r, c.FFunctieCode), Functie: str(r, c.FFunctie),
		Uren: r.Get(c.FUren, afas.Decimal), Parttime: r.Get(c.FParttime, afas.Decimal),
		TypeContract: str(r, c.FTypeContract), Manager: str(r, c.FLeidinggevende),
	}
	if salaryColumn != "" {
		e.Salary = r.Get(salaryColumn, afas.Decimal)
	}
	for _, fe := range r.Errs {
		if fe.Field == salaryColumn && salaryColumn != "" {
			e.SalaryBad = fe.Err.Error()
			continue
		}
		e.Errs = append(e.Errs, fe)
	}
	return e
}

// AbsenceFrom converts a decoded Koppel_Verzuim row.
func AbsenceFrom(r afas.Row) Absence {
	return Absence{
		VerzuimID: r.Get(c.FVerzuimID, afas.Int).Int, VerloopID: r.Get(c.FVerloopID, afas.Int).Int,
		Medewerker: str(r, c.FMedewerker), Employer: str(r, c.FWerkgever),
		EersteDag: date(r, c.FEersteDag), Ziekmelding: date(r, c.FZiekmelding),
		VerwachtHerstel: date(r, c.FVerwachtHerstel), Herstel: date(r, c.FHersteld),
		Type: str(r, c.FTypeVerzuim), TypeOmschrijving: str(r, c.FTypeVerzuimOms),
		VerloopDatum: date(r, c.FVerloopDatum), Aanwezig: r.Get(c.FAanwezig, afas.Decimal),
		Vangnet: r.Get(c.FVangnet, afas.Bool).Bool, Errs: errsOf(r),
	}
}
