package connectors

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
)

// sourceOf pins, per connector, which AFAS field each field of its typed record is read from.
// Every field of the record (but the problems it carries) must be listed, so a field added
// later is pinned too.
var sourceOf = map[string]map[string]string{
	Organisatie: {"Code": FOrgEenheid, "Name": FOmschrijving, "Parent": FBovenliggende, "Manager": FLeidinggevende,
		"Employer": FWerkgever, "Vervallen": FVervallen},
	Medewerkers: {"Medewerker": FMedewerker, "Persoonsnummer": FPersoonsnummer, "BSN": FBSN, "Voorletters": FVoorletters,
		"Voornaam": FVoornaam, "Roepnaam": FRoepnaam, "Voorvoegsel": FVoorvoegsel, "Geboortenaam": FGeboortenaam,
		"VoorvoegselPartner": FVoorvoegselPart, "GeboortenaamPartner": FGeboortenaamPar, "Naamgebruik": FNaamgebruik,
		"Geslacht": FGeslacht, "Geboortedatum": FGeboortedatum, "Email": FEmail, "Telefoon": FTelefoon, "Mobiel": FMobiel},
	Dienstverbanden: {"Medewerker": FMedewerker, "Dienstverband": FDienstverband, "Employer": FWerkgever, "Begin": FBegin,
		"Einde": FEinde, "Afdeling": FAfdeling, "FunctieCode": FFunctieCode, "Functie": FFunctie, "Uren": FUren,
		"Parttime": FParttime, "TypeContract": FTypeContract, "Manager": FLeidinggevende, "Salary": "Salaris"},
	Verzuim: {"VerzuimID": FVerzuimID, "VerloopID": FVerloopID, "Medewerker": FMedewerker, "Employer": FWerkgever,
		"EersteDag": FEersteDag, "Ziekmelding": FZiekmelding, "VerwachtHerstel": FVerwachtHerstel, "Herstel": FHersteld,
		"Type": FTypeVerzuim, "TypeOmschrijving": FTypeVerzuimOms, "VerloopDatum": FVerloopDatum, "Aanwezig": FAanwezig,
		"Vangnet": FVangnet},
}

// problemFields are the record fields that carry a row's problems, not a field's value.
var problemFields = map[string]bool{"Errs": true, "Cleaned": true, "SalaryBad": true}

// Each standard conversion reads every record field from its own AFAS field: a row whose fields
// all hold different values (each string its field's name, each number and date its own) comes
// out with every record field holding the value of the field sourceOf names.
func TestConversionsReadEachFieldFromItsOwn(t *testing.T) {
	for role, sources := range sourceOf {
		con, ok := ByRole(role)
		if !ok {
			t.Fatalf("no connector %s", role)
		}
		salary := ""
		if con.Salary {
			salary = "Salaris"
		}
		fields := con.Whitelist(salary)
		var doc strings.Builder
		doc.WriteString("<AfasGetConnector><" + con.ID + ">")
		want := map[string]any{}
		n := 0
		for name, kind := range fields {
			n++
			var text string
			switch kind {
			case afas.String:
				text, want[name] = "v"+name, "v"+name
			case afas.Int:
				text, want[name] = fmt.Sprint(n), int64(n)
			case afas.Decimal:
				text, want[name] = fmt.Sprintf("%d.25", n), fmt.Sprintf("%d.25", n)
			case afas.Bool:
				text, want[name] = "true", true
			case afas.Date:
				d := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n)
				text, want[name] = d.Format("2006-01-02T15:04:05"), d
			}
			doc.WriteString("<" + name + ">" + text + "</" + name + ">")
		}
		doc.WriteString("</" + con.ID + "></AfasGetConnector>")
		var rec any
		decode := con.Decoder(salary)
		if _, err := afas.DecodeResult(doc.String(), con.ID, fields, func(r afas.Row) error { rec = decode(r); return nil }); err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		rv := reflect.Indirect(reflect.ValueOf(rec)) // the big connectors' records come from slabs
		for i := 0; i < rv.NumField(); i++ {
			f := rv.Type().Field(i)
			if problemFields[f.Name] {
				continue
			}
			src, ok := sources[f.Name]
			if !ok {
				t.Errorf("%s: record field %s has no source in the test: pin it", role, f.Name)
				continue
			}
			var got any
			switch v := rv.Field(i).Interface().(type) {
			case afas.Value:
				got = v.Dec.String()
			default:
				got = v
			}
			if w := want[src]; !reflect.DeepEqual(got, w) {
				t.Errorf("%s: %s = %#v, want %s's %#v", role, f.Name, got, src, w)
			}
		}
	}
}

// The records of a decoder come from slabs: every one keeps its own values, also past the end
// of a slab, while the later rows are decoded.
func TestDecodedRecordsKeepTheirValues(t *testing.T) {
	con, _ := ByRole(Medewerkers)
	fields := con.Whitelist("")
	var doc strings.Builder
	doc.WriteString("<AfasGetConnector>")
	const n = 2*slabRecords + 3
	for i := range n {
		fmt.Fprintf(&doc, "<%s><%s>%d</%s></%s>", con.ID, FMedewerker, 1000+i, FMedewerker, con.ID)
	}
	doc.WriteString("</AfasGetConnector>")
	decode := con.Decoder("")
	var recs []any
	if _, err := afas.DecodeResult(doc.String(), con.ID, fields, func(r afas.Row) error { recs = append(recs, decode(r)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(recs) != n {
		t.Fatalf("%d records, want %d", len(recs), n)
	}
	for i, rec := range recs {
		if got, want := reflect.Indirect(reflect.ValueOf(rec)).FieldByName("Medewerker").String(), fmt.Sprint(1000+i); got != want {
			t.Fatalf("record %d: Medewerker %q, want %q", i, got, want)
		}
	}
}
