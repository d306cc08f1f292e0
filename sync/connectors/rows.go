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

// The conversions of the standard connectors read their fields through a Binding: by position,
// resolved once per answer. Each is made per goroutine (the table's Decoder).

func unitDecoder(string) func(afas.Row) any {
	const (
		code = iota
		name
		parent
		manager
		employer
		vervallen
	)
	b := afas.NewBinding(FOrgEenheid, FOmschrijving, FBovenliggende, FLeidinggevende, FWerkgever, FVervallen)
	return func(r afas.Row) any {
		c := b.Of(r)
		return mapping.Unit{
			Code: c.Str(code), Name: c.Str(name), Parent: c.Str(parent),
			Manager: c.Str(manager), Employer: c.Str(employer),
			Vervallen: c.Get(vervallen, afas.Bool).Bool, Errs: errsOf(r), Cleaned: cleanedOf(r),
		}
	}
}

func employeeDecoder(string) func(afas.Row) any {
	const (
		medewerker = iota
		persoonsnummer
		bsn
		voorletters
		voornaam
		roepnaam
		voorvoegsel
		geboortenaam
		voorvoegselPartner
		geboortenaamPartner
		naamgebruik
		geslacht
		geboortedatum
		email
		telefoon
		mobiel
	)
	b := afas.NewBinding(FMedewerker, FPersoonsnummer, FBSN, FVoorletters, FVoornaam, FRoepnaam, FVoorvoegsel,
		FGeboortenaam, FVoorvoegselPart, FGeboortenaamPar, FNaamgebruik, FGeslacht, FGeboortedatum, FEmail, FTelefoon, FMobiel)
	var sl slab[mapping.Employee]
	return func(r afas.Row) any {
		c := b.Of(r)
		e := sl.next()
		*e = mapping.Employee{
			Medewerker: c.Str(medewerker), Persoonsnummer: c.Str(persoonsnummer), BSN: c.Str(bsn),
			Voorletters: c.Str(voorletters), Voornaam: c.Str(voornaam), Roepnaam: c.Str(roepnaam),
			Voorvoegsel: c.Str(voorvoegsel), Geboortenaam: c.Str(geboortenaam),
			VoorvoegselPartner: c.Str(voorvoegselPartner), GeboortenaamPartner: c.Str(geboortenaamPartner),
			Naamgebruik: c.Int(naamgebruik), Geslacht: c.Str(geslacht),
			Geboortedatum: c.Time(geboortedatum), Email: c.Str(email), Telefoon: c.Str(telefoon),
			Mobiel: c.Str(mobiel), Errs: errsOf(r), Cleaned: cleanedOf(r),
		}
		return e
	}
}

// employmentDecoder converts Koppel_Dienstverbanden rows. A bad value in the salary column is
// kept apart: the rules make it a Waarschuwing, not an Uitval.
func employmentDecoder(salaryColumn string) func(afas.Row) any {
	const (
		medewerker = iota
		dienstverband
		employer
		begin
		einde
		afdeling
		functieCode
		functie
		uren
		parttime
		typeContract
		manager
		salary
	)
	b := afas.NewBinding(FMedewerker, FDienstverband, FWerkgever, FBegin, FEinde, FAfdeling, FFunctieCode, FFunctie,
		FUren, FParttime, FTypeContract, FLeidinggevende, salaryColumn)
	var sl slab[mapping.Employment]
	return func(r afas.Row) any {
		c := b.Of(r)
		e := sl.next()
		*e = mapping.Employment{
			Medewerker: c.Str(medewerker), Dienstverband: c.Int(dienstverband),
			Employer: c.Str(employer), Begin: c.Time(begin), Einde: c.Time(einde),
			Afdeling: c.Str(afdeling), FunctieCode: c.Str(functieCode), Functie: c.Str(functie),
			Uren: c.Get(uren, afas.Decimal), Parttime: c.Get(parttime, afas.Decimal),
			TypeContract: c.Str(typeContract), Manager: c.Str(manager), Cleaned: cleanedOf(r),
		}
		if salaryColumn != "" {
			e.Salary = c.Get(salary, afas.Decimal)
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
}

func absenceDecoder(string) func(afas.Row) any {
	const (
		verzuimID = iota
		verloopID
		medewerker
		employer
		eersteDag
		ziekmelding
		verwachtHerstel
		herstel
		typeVerzuim
		typeOmschrijving
		verloopDatum
		aanwezig
		vangnet
	)
	b := afas.NewBinding(FVerzuimID, FVerloopID, FMedewerker, FWerkgever, FEersteDag, FZiekmelding, FVerwachtHerstel,
		FHersteld, FTypeVerzuim, FTypeVerzuimOms, FVerloopDatum, FAanwezig, FVangnet)
	var sl slab[mapping.Absence]
	return func(r afas.Row) any {
		c := b.Of(r)
		a := sl.next()
		*a = mapping.Absence{
			VerzuimID: c.Int(verzuimID), VerloopID: c.Int(verloopID),
			Medewerker: c.Str(medewerker), Employer: c.Str(employer),
			EersteDag: c.Time(eersteDag), Ziekmelding: c.Time(ziekmelding),
			VerwachtHerstel: c.Time(verwachtHerstel), Herstel: c.Time(herstel),
			Type: c.Str(typeVerzuim), TypeOmschrijving: c.Str(typeOmschrijving),
			VerloopDatum: c.Time(verloopDatum), Aanwezig: c.Get(aanwezig, afas.Decimal),
			Vangnet: c.Get(vangnet, afas.Bool).Bool, Errs: errsOf(r), Cleaned: cleanedOf(r),
		}
		return a
	}
}

// slabRecords is how many records a slab holds.
const slabRecords = 256

// slab hands out the records of the connectors read most, a chunk at a time: a record boxed
// on its own costs an allocation per row. A decoder's records are pointers into its slabs,
// which stay alive while any of their records is used.
type slab[T any] struct {
	buf []T
	i   int
}

func (s *slab[T]) next() *T {
	if s.i == len(s.buf) {
		s.buf, s.i = make([]T, slabRecords), 0
	}
	s.i++
	return &s.buf[s.i-1]
}

// byName makes a Decoder of a conversion that reads its fields by name (connectors with few
// rows per run).
func byName[T any](from func(afas.Row) T) func(string) func(afas.Row) any {
	return func(string) func(afas.Row) any { return func(r afas.Row) any { return from(r) } }
}

func cleanedOf(r afas.Row) []string {
	if len(r.Cleaned) == 0 {
		return nil
	}
	return append([]string(nil), r.Cleaned...)
}
