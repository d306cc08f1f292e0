package matching

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
)

// The files of the koppeltabel folder.
const (
	KoppeltabelFile = "koppeltabel.csv"
	RapportFile     = "matchrapport.csv"
)

// The entities of koppeltabel.csv (column Entiteit).
const (
	EntiteitMedewerker = "medewerker"
	EntiteitVerzuim    = "verzuim"
)

// KoppeltabelColumns returns the header row of koppeltabel.csv, as in matching.md.
func KoppeltabelColumns() []string {
	return []string{"Entiteit", "WerkgeverCodeXS", "PersoneelsnummerXS", "VerzuimIdXS", "WerkgeverCode", "Personeelsnummer", "VerzuimId", "Methode"}
}

// RapportColumns returns the header row of matchrapport.csv, as in matching.md.
func RapportColumns() []string {
	return []string{"Bron", "WerkgeverCode", "Personeelsnummer", "Uitkomst", "Methode", "WerkgeverCodeAnder", "PersoneelsnummerAnder"}
}

// KoppelRow is a row of koppeltabel.csv: an Xpert Suite record and the AFAS record it is.
type KoppelRow struct {
	Entiteit           string
	WerkgeverCodeXS    string
	PersoneelsnummerXS string
	VerzuimIdXS        string
	WerkgeverCode      string
	Personeelsnummer   string
	VerzuimId          string
	Methode            Method
}

func (r KoppelRow) values() []string {
	return []string{r.Entiteit, r.WerkgeverCodeXS, r.PersoneelsnummerXS, r.VerzuimIdXS, r.WerkgeverCode, r.Personeelsnummer, r.VerzuimId, string(r.Methode)}
}

// RapportRow is a row of matchrapport.csv.
type RapportRow struct {
	Bron                  Source
	WerkgeverCode         string
	Personeelsnummer      string
	Uitkomst              Outcome
	Methode               Method
	WerkgeverCodeAnder    string
	PersoneelsnummerAnder string
}

func (r RapportRow) values() []string {
	return []string{string(r.Bron), r.WerkgeverCode, r.Personeelsnummer, string(r.Uitkomst), string(r.Methode), r.WerkgeverCodeAnder, r.PersoneelsnummerAnder}
}

// Koppeltabel returns the rows of koppeltabel.csv: one per matched employee pair whose keys
// differ (a pair with equal keys has nothing to renumber) and one per matched absence, sorted on
// Entiteit and the XS key.
func (r *Result) Koppeltabel() []KoppelRow {
	var rows []KoppelRow
	for _, e := range r.Employees {
		if e.Bron != FromXS || e.Uitkomst != Gekoppeld || e.Ander[0] == e.Key {
			continue
		}
		rows = append(rows, KoppelRow{
			Entiteit: EntiteitMedewerker, WerkgeverCodeXS: e.Key.WerkgeverCode, PersoneelsnummerXS: e.Key.Personeelsnummer,
			WerkgeverCode: e.Ander[0].WerkgeverCode, Personeelsnummer: e.Ander[0].Personeelsnummer, Methode: e.Methode,
		})
	}
	for _, a := range r.Absences {
		if a.Bron != FromXS || a.Uitkomst != Gekoppeld {
			continue
		}
		rows = append(rows, KoppelRow{
			Entiteit: EntiteitVerzuim, WerkgeverCodeXS: a.Employee.WerkgeverCode, PersoneelsnummerXS: a.Employee.Personeelsnummer, VerzuimIdXS: a.VerzuimID,
			WerkgeverCode: a.Ander[0].Employee.WerkgeverCode, Personeelsnummer: a.Ander[0].Employee.Personeelsnummer, VerzuimId: a.Ander[0].VerzuimID, Methode: a.Methode,
		})
	}
	sortKoppel(rows)
	return rows
}

// Rapport returns the rows of matchrapport.csv: every employee record of both sides with its
// outcome. A record without partner has one row with empty Ander columns; an ambiguous record
// has one row per possible partner, so each pair the consultant can pick is on a row.
func (r *Result) Rapport() []RapportRow {
	var rows []RapportRow
	for _, e := range r.Employees {
		row := RapportRow{Bron: e.Bron, WerkgeverCode: e.Key.WerkgeverCode, Personeelsnummer: e.Key.Personeelsnummer, Uitkomst: e.Uitkomst, Methode: e.Methode}
		if len(e.Ander) == 0 {
			rows = append(rows, row)
		}
		for _, k := range e.Ander {
			row.WerkgeverCodeAnder, row.PersoneelsnummerAnder = k.WerkgeverCode, k.Personeelsnummer
			rows = append(rows, row)
		}
	}
	sortRapport(rows)
	return rows
}

// WriteKoppeltabel writes koppeltabel.csv as a delivery file: UTF-8, separator ';', a header
// row, RFC 4180 quoting, CRLF, rows sorted on their key (Entiteit and the XS key).
func WriteKoppeltabel(w io.Writer, rows []KoppelRow) error {
	rows = append([]KoppelRow(nil), rows...)
	sortKoppel(rows)
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = r.values()
	}
	return writeCSV(w, KoppeltabelFile, KoppeltabelColumns(), out)
}

// WriteRapport writes matchrapport.csv like WriteKoppeltabel, sorted on Bron and key.
func WriteRapport(w io.Writer, rows []RapportRow) error {
	rows = append([]RapportRow(nil), rows...)
	sortRapport(rows)
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = r.values()
	}
	return writeCSV(w, RapportFile, RapportColumns(), out)
}

func writeCSV(w io.Writer, file string, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	cw.Comma = ';'
	cw.UseCRLF = true
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

func sortKoppel(rows []KoppelRow) {
	slices.SortStableFunc(rows, func(a, b KoppelRow) int {
		return slices.Compare(a.values()[:4], b.values()[:4])
	})
}

func sortRapport(rows []RapportRow) {
	slices.SortStableFunc(rows, func(a, b RapportRow) int {
		x, y := a.values(), b.values()
		return slices.Compare([]string{x[0], x[1], x[2], x[5], x[6]}, []string{y[0], y[1], y[2], y[5], y[6]})
	})
}

// Counts are the outcomes of one entity.
type Counts struct {
	// Gekoppeld counts matched pairs; PerMethode splits them by method.
	Gekoppeld  int            `json:"gekoppeld"`
	PerMethode map[Method]int `json:"per_methode"`
	// Kandidaat and Conflict count pairs waiting for a decision (employees only).
	Kandidaat int `json:"kandidaat"`
	Conflict  int `json:"conflict"`
	// Dubbelzinnig counts ambiguous records, both sides together; DubbelzinnigPerMethode
	// splits them by the method under which they were ambiguous.
	Dubbelzinnig           int            `json:"dubbelzinnig"`
	DubbelzinnigPerMethode map[Method]int `json:"dubbelzinnig_per_methode"`
	// AlleenAFAS and AlleenXS count the records left on each side.
	AlleenAFAS int `json:"alleen-afas"`
	AlleenXS   int `json:"alleen-xs"`
}

// Summary is the match's summary: counts per outcome and method.
type Summary struct {
	Medewerkers Counts  `json:"medewerkers"`
	Verzuim     *Counts `json:"verzuim,omitempty"` // when absences were matched
	// Besluiten: decisions applied, stale (records gone) and ignored (contradictory).
	Besluiten struct {
		Toegepast int `json:"toegepast"`
		Vervallen int `json:"vervallen"`
		Genegeerd int `json:"genegeerd"`
	} `json:"besluiten"`
}

// Pending reports whether candidates, conflicts or ambiguous employees wait for a decision.
func (s Summary) Pending() bool {
	m := s.Medewerkers
	return m.Kandidaat+m.Conflict+m.Dubbelzinnig > 0
}

func newCounts(methods ...Method) Counts {
	c := Counts{PerMethode: map[Method]int{}, DubbelzinnigPerMethode: map[Method]int{}}
	for _, m := range methods {
		c.PerMethode[m] = 0
	}
	return c
}

// add counts a record. A pair has a record on each side, so pairs are counted twice here and
// halved by pairs.
func (c *Counts) add(o Outcome, m Method) {
	switch o {
	case Gekoppeld:
		c.Gekoppeld++
		c.PerMethode[m]++
	case Kandidaat:
		c.Kandidaat++
	case Conflict:
		c.Conflict++
	case Dubbelzinnig:
		c.Dubbelzinnig++
		c.DubbelzinnigPerMethode[m]++
	case AlleenAFAS:
		c.AlleenAFAS++
	case AlleenXS:
		c.AlleenXS++
	}
}

// pairs turns the record counts of pair outcomes into pair counts.
func (c *Counts) pairs() {
	c.Gekoppeld /= 2
	c.Kandidaat /= 2
	c.Conflict /= 2
	for m := range c.PerMethode {
		c.PerMethode[m] /= 2
	}
}

func summarize(r *Result, withAbsences bool) Summary {
	var s Summary
	s.Medewerkers = newCounts(Sleutel, BSN, Naam, Besluit)
	for _, e := range r.Employees {
		s.Medewerkers.add(e.Uitkomst, e.Methode)
	}
	s.Medewerkers.pairs()
	if withAbsences {
		c := newCounts(Datum)
		for _, a := range r.Absences {
			c.add(a.Uitkomst, a.Methode)
		}
		c.pairs()
		s.Verzuim = &c
	}
	s.Besluiten.Toegepast, s.Besluiten.Vervallen, s.Besluiten.Genegeerd = len(r.Applied), len(r.Stale), len(r.Ignored)
	return s
}
