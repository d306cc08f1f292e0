package connectors

import (
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/mapping"
)

// The row decoders of the table: a decoded GetConnector row to the rules' typed record.

func str(r afas.Row, f string) string     { return r.Str(f) }
func date(r afas.Row, f string) time.Time { return r.Time(f) }
func errsOf(r afas.Row) []afas.FieldError {
	if len(r.Errs) == 0 {
		return nil
	}
	return append([]afas.FieldError(nil), r.Errs...)
}

// UnitFrom converts a decoded Koppel_Organisatie row.
func UnitFrom(r afas.Row) mapping.Unit {
	return mapping.Unit{
		Code: str(r, FOrgEenheid), Name: str(r, FOmschrijving), Parent: str(r, FBovenliggende),
		Manager: str(r, FLeidinggevende), Employer: str(r, FWerkgever),
		Vervallen: r.Get(FVervallen, afas.Bool).Bool, Errs: errsOf(r), Cleaned: cleanedOf(r),
	}
}

// EmployeeFrom converts a decoded Koppel_Medewerkers row.
func EmployeeFrom(r afas.Row) mapping.Employee {
	return mapping.Employee{
		Medewerker: str(r, FMedewerker), Persoonsnummer: str(r, FPersoonsnummer), BSN: str(r, FBSN),
		Voorletters: str(r, FVoorletters), Voornaam: str(r, FVoornaam), Roepnaam: str(r, FRoepnaam),
		Voorvoegsel: str(r, FVoorvoegsel), Geboortenaam: str(r, FGeboortenaam),
		VoorvoegselPartner: str(r, FVoorvoegselPart), GeboortenaamPartner: str(r, FGeboortenaamPar),
		Naamgebruik: r.Int(FNaamgebruik), Geslacht: str(r, FGeslacht),
		Geboortedatum: date(r, FGeboortedatum), Email: str(r, FEmail), Telefoon: str(r, FTelefoon),
		Mobiel: str(r, FMobiel), Errs: errsOf(r), Cleaned: cleanedOf(r),
	}
}

// EmploymentFrom converts a decoded Koppel_Dienstverbanden row. A bad value in the salary column
// is kept apart: the rules make it a Waarschuwing, not an Uitval.
func EmploymentFrom(r afas.Row, salaryColumn string) mapping.Employment {
	e := mapping.Employment{
		Medewerker: str(r, FMedewerker), Dienstverband: r.Int(FDienstverband),
		Employer: str(r, FWerkgever), Begin: date(r, FBegin), Einde: date(r, FEinde),
		Afdeling: str(r, FAfdeling), FunctieCode: str(r, FFunctieCode), Functie: str(r, FFunctie),
		Uren: r.Get(FUren, afas.Decimal), Parttime: r.Get(FParttime, afas.Decimal),
		TypeContract: str(r, FTypeContract), Manager: str(r, FLeidinggevende), Cleaned: cleanedOf(r),
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
func AbsenceFrom(r afas.Row) mapping.Absence {
	return mapping.Absence{
		VerzuimID: r.Int(FVerzuimID), VerloopID: r.Int(FVerloopID),
		Medewerker: str(r, FMedewerker), Employer: str(r, FWerkgever),
		EersteDag: date(r, FEersteDag), Ziekmelding: date(r, FZiekmelding),
		VerwachtHerstel: date(r, FVerwachtHerstel), Herstel: date(r, FHersteld),
		Type: str(r, FTypeVerzuim), TypeOmschrijving: str(r, FTypeVerzuimOms),
		VerloopDatum: date(r, FVerloopDatum), Aanwezig: r.Get(FAanwezig, afas.Decimal),
		Vangnet: r.Get(FVangnet, afas.Bool).Bool, Errs: errsOf(r), Cleaned: cleanedOf(r),
	}
}

func cleanedOf(r afas.Row) []string {
	if len(r.Cleaned) == 0 {
		return nil
	}
	return append([]string(nil), r.Cleaned...)
}
