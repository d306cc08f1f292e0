// Package matching is the first sync for a customer that already used Xpert Suite
// (spec/matching.md): it matches the employees koppel would deliver from AFAS to the employees
// Xpert Suite already holds, and their absences, so that the first delivery renumbers instead of
// duplicating. It holds the rules only: reading the Xpert Suite exports is package xsexport,
// writing the folder is the CLI's. The writers here write to an io.Writer.
//
// Employees are matched one to one, by three methods in this order, each on what is still
// unmatched: `sleutel` (same WerkgeverCode and Personeelsnummer; a pair whose valid BSNs differ
// is a conflict), `bsn` (same valid BSN) and `naam` (same birth date, first initial and
// normalised surname; a candidate until confirmed). When a record has more than one possible
// partner under a method, the whole group of records linked by possible pairs is ambiguous.
// Conflicts, candidates and ambiguous records wait for the consultant's decision; records in a
// conflict or ambiguous take no part in later methods.
//
// Decisions are applied before the methods: a decided pair is matched (method `besluit`), an XS
// record decided to stay unmatched is alleen-xs; both take no part in the methods. A decision
// applies while both its records exist; the others are returned as stale.
//
// Privacy: BSNs are read, normalised and compared here and appear nowhere else: not in a
// record, row, log, error or String() of this package.
package matching

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// Method is how a pair was matched.
type Method string

// The methods, as written in koppeltabel.csv and matchrapport.csv.
const (
	Sleutel Method = "sleutel" // same WerkgeverCode and Personeelsnummer
	BSN     Method = "bsn"     // same valid BSN
	Naam    Method = "naam"    // same birth date, first initial and normalised surname
	Besluit Method = "besluit" // decided by the consultant
	Datum   Method = "datum"   // absences: matched employees, same first day of absence
)

// Outcome is what became of a record.
type Outcome string

// The outcomes, as written in matchrapport.csv.
const (
	Gekoppeld    Outcome = "gekoppeld"    // matched
	Kandidaat    Outcome = "kandidaat"    // a `naam` pair waiting for confirmation
	Conflict     Outcome = "conflict"     // same key, different valid BSNs: waits for a decision
	Dubbelzinnig Outcome = "dubbelzinnig" // more than one possible partner: waits for a decision
	AlleenAFAS   Outcome = "alleen-afas"  // only in AFAS: Xpert Suite gets a new record
	AlleenXS     Outcome = "alleen-xs"    // only in Xpert Suite
)

// Source is the side a record comes from.
type Source string

// The sources, as written in matchrapport.csv (column Bron).
const (
	FromAFAS Source = "afas"
	FromXS   Source = "xs"
)

// Key identifies an employee on either side: WerkgeverCode and Personeelsnummer.
type Key struct {
	WerkgeverCode    string
	Personeelsnummer string
}

// String renders a key for people: "WerkgeverCode/Personeelsnummer".
func (k Key) String() string { return k.WerkgeverCode + "/" + k.Personeelsnummer }

// IsZero reports whether both parts are empty.
func (k Key) IsZero() bool { return k == Key{} }

// compare orders keys by WerkgeverCode, then Personeelsnummer.
func (k Key) compare(o Key) int {
	return cmp.Or(strings.Compare(k.WerkgeverCode, o.WerkgeverCode), strings.Compare(k.Personeelsnummer, o.Personeelsnummer))
}

// Employee is an AFAS employee as koppel would deliver it (same profile and rules as a run,
// flex mode included).
type Employee struct {
	// WerkgeverCode and Personeelsnummer are the delivered key, after the profile's rewrite.
	WerkgeverCode    string
	Personeelsnummer string
	Persoonsnummer   string
	// BSN is the raw value read from AFAS; it is normalised and eleven-tested as a run does
	// (mapping.NormalizeBSN) and never leaves this package.
	BSN         string
	Voorletters string
	// Voornaam and Roepnaam are carried for the screens; the rules do not use them.
	Voornaam, Roepnaam string
	// The name parts and Naamgebruik (0–3) give the delivered Achternaam (mapping.Names); the
	// XS surname may equal it or Geboortenaam.
	Voorvoegsel, Geboortenaam               string
	VoorvoegselPartner, GeboortenaamPartner string
	Naamgebruik                             int64
	Geboortedatum                           time.Time
	// Absences are the employee's delivered absences; used when absences are matched.
	Absences []Absence
}

// Key is the delivered key.
func (e Employee) Key() Key { return Key{e.WerkgeverCode, e.Personeelsnummer} }

// String names the employee by key only: never its BSN.
func (e Employee) String() string { return "AFAS employee " + e.Key().String() }

// GoString keeps %#v from printing the BSN.
func (e Employee) GoString() string { return e.String() }

// Absence is an AFAS absence (verzuimmelding) of an employee.
type Absence struct {
	VerzuimID        string
	EersteVerzuimdag time.Time
}

// XSEmployee is a row of Xpert Suite's employee export.
type XSEmployee struct {
	WerkgeverCode    string
	Personeelsnummer string
	BSN              string // raw, as exported; never leaves this package
	Achternaam       string
	Voorletters      string
	Geboortedatum    time.Time
	Line             int // line in the export, for messages; 0 when unknown
}

// Key is Xpert Suite's key of the employee.
func (x XSEmployee) Key() Key { return Key{x.WerkgeverCode, x.Personeelsnummer} }

// String names the row by key only: never its BSN.
func (x XSEmployee) String() string { return "Xpert Suite employee " + x.Key().String() }

// GoString keeps %#v from printing the BSN.
func (x XSEmployee) GoString() string { return x.String() }

// XSAbsence is a row of Xpert Suite's absence export.
type XSAbsence struct {
	WerkgeverCode    string
	Personeelsnummer string
	VerzuimID        string // Xpert Suite's own id
	EersteVerzuimdag time.Time
	Line             int
}

// Employee is the key of the absence's employee.
func (a XSAbsence) Employee() Key { return Key{a.WerkgeverCode, a.Personeelsnummer} }

// Decision is the consultant's decision about one Xpert Suite employee: match it with the AFAS
// employee AFAS, or, when AFAS is zero, leave it unmatched. It accepts or rejects a candidate,
// picks the partner of an ambiguous record and resolves a conflict either way.
type Decision struct {
	XS   Key
	AFAS Key // zero: leave the XS record unmatched
}

func (d Decision) String() string {
	if d.AFAS.IsZero() {
		return "XS " + d.XS.String() + " stays unmatched"
	}
	return "XS " + d.XS.String() + " = AFAS " + d.AFAS.String()
}

// MergeDecisions returns the stored decisions with the newer ones applied: a newer decision
// replaces a stored one about the same XS record. The result is sorted by XS key.
func MergeDecisions(stored, newer []Decision) []Decision {
	byXS := map[Key]Decision{}
	for _, d := range stored {
		byXS[d.XS] = d
	}
	for _, d := range newer {
		byXS[d.XS] = d
	}
	out := make([]Decision, 0, len(byXS))
	for _, d := range byXS {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Decision) int { return a.XS.compare(b.XS) })
	return out
}

// Input is what is matched.
type Input struct {
	AFAS []Employee
	XS   []XSEmployee
	// WithAbsences is set when the absence export was given: absences are matched, and the AFAS
	// absences are taken from Employee.Absences.
	WithAbsences bool
	XSAbsences   []XSAbsence
}

// Options steer the match.
type Options struct {
	// AcceptCandidates accepts every `naam` candidate (--accept-candidates); it stays `naam`.
	AcceptCandidates bool
	// Decisions are the consultant's decisions (store and --decisions, see MergeDecisions).
	Decisions []Decision
}

// Record is the outcome of one employee record of either side.
type Record struct {
	Bron     Source
	Key      Key
	Uitkomst Outcome
	// Methode is the method that matched the record or made it a candidate, conflict or
	// ambiguous; `besluit` for a decided record (also one decided to stay unmatched); empty for
	// alleen-afas and alleen-xs otherwise.
	Methode Method
	// Ander is the partner (gekoppeld, kandidaat, conflict) or the possible partners
	// (dubbelzinnig), sorted.
	Ander []Key
}

// AbsenceRef names an absence: its employee's key and its id on that side.
type AbsenceRef struct {
	Employee  Key
	VerzuimID string
}

// AbsenceRecord is the outcome of one absence of either side. Uitkomst is gekoppeld,
// dubbelzinnig, alleen-afas or alleen-xs.
type AbsenceRecord struct {
	Bron             Source
	Employee         Key
	VerzuimID        string
	EersteVerzuimdag time.Time
	Uitkomst         Outcome
	Methode          Method // datum when gekoppeld or dubbelzinnig
	Ander            []AbsenceRef
}

// Result is the outcome of a match.
type Result struct {
	Employees []Record        // every employee record of both sides, sorted by Bron and Key
	Absences  []AbsenceRecord // every absence of both sides, when absences were matched
	Summary   Summary
	// Logs: a Waarschuwing per XS-only employee and absence and per ambiguous absence, and
	// notes about BSNs and decisions. Entity is mapping.Employees or mapping.Absences.
	Logs []runlog.Log
	// Applied are the decisions that took effect. Stale are the decisions whose records no
	// longer both exist: drop them from the store. Ignored are decisions that contradict each
	// other (two for one XS record, or two XS records for one AFAS record): none of them is
	// applied, and a Waarschuwing names each.
	Applied, Stale, Ignored []Decision
	// Accepted are the candidates accepted by Options.AcceptCandidates, as decisions, for a
	// caller that wants to keep them.
	Accepted []Decision
}

// Pending reports whether candidates, conflicts or ambiguous employees wait for a decision.
func (r *Result) Pending() bool { return r.Summary.Pending() }

// The log codes of a match; Args never carry a BSN.
const (
	LogXSOnly              = "match.xs_only"                // Waarschuwing, XS key
	LogXSAbsenceOnly       = "match.xs_absence_only"        // Waarschuwing; employee matched, no AFAS absence that day
	LogXSAbsenceUnmatched  = "match.xs_absence_unmatched"   // Waarschuwing; its employee is not matched
	LogXSAbsenceUnknown    = "match.xs_absence_no_employee" // Waarschuwing; its employee is not in the employee export
	LogAbsenceAmbiguous    = "match.absence_ambiguous"      // Waarschuwing; args: bron, first day
	LogCandidateBSNDiffers = "match.candidate_bsn_differs"  // Waarschuwing, XS key; args: AFAS key
	LogBSNInvalid          = "match.bsn_invalid"            // Melding; args: bron
	LogDecisionStale       = "match.decision_stale"         // Melding, XS key; args: AFAS key
	LogDecisionConflicting = "match.decision_contradictory" // Waarschuwing, XS key; args: AFAS key
	LogDecisionApplied     = "match.decision_applied"       // Metadata, XS key; args: AFAS key
)

// keySep joins key parts in index values; it cannot occur in codes read from CSV by a consultant.
const keySep = "\x1f"

// afasRec and xsRec are the records as the methods see them.
type afasRec struct {
	key      Key
	bsn      string    // valid normalised BSN or ""
	names    [2]string // name keys (birth date|initial|surname) of both AFAS surname forms
	absences []Absence
}

type xsRec struct {
	key  Key
	bsn  string
	name string
	line int
}

// state holds the outcome of each record during the match.
type state struct {
	afas    []afasRec
	xs      []xsRec
	afasOut []Record
	xsOut   []Record
	afasIdx map[Key]int
	xsIdx   map[Key]int
	res     *Result
}

func (s *state) log(l runlog.Level, entity, key, code string, args ...string) {
	s.res.Logs = append(s.res.Logs, runlog.Log{Level: l, Entity: entity, Key: key, Code: code, Args: args})
}

// Match matches the AFAS employees (and absences) to Xpert Suite's. It fails only on input
// that breaks its assumptions: an empty or duplicate key on either side.
func Match(in Input, opt Options) (*Result, error) {
	s := &state{res: &Result{}, afasIdx: map[Key]int{}, xsIdx: map[Key]int{}}
	if err := s.load(in); err != nil {
		return nil, err
	}
	s.applyDecisions(opt.Decisions)
	s.method(Sleutel, opt)
	s.method(BSN, opt)
	s.method(Naam, opt)
	for i := range s.afas {
		if s.afasOut[i].Uitkomst == "" {
			s.afasOut[i].Uitkomst = AlleenAFAS
		}
	}
	for i, x := range s.xs {
		if s.xsOut[i].Uitkomst == "" {
			s.xsOut[i].Uitkomst = AlleenXS
		}
		if s.xsOut[i].Uitkomst == AlleenXS {
			s.log(runlog.Waarschuwing, mapping.Employees, x.key.String(), LogXSOnly)
		}
	}
	s.res.Employees = append(append([]Record{}, s.afasOut...), s.xsOut...)
	sortRecords(s.res.Employees)
	if in.WithAbsences {
		if err := s.matchAbsences(in.XSAbsences); err != nil {
			return nil, err
		}
	}
	s.res.Summary = summarize(s.res, in.WithAbsences)
	return s.res, nil
}

// load validates the input and computes what the methods compare.
func (s *state) load(in Input) error {
	for i, e := range in.AFAS {
		k := e.Key()
		if k.WerkgeverCode == "" || k.Personeelsnummer == "" {
			return fmt.Errorf("AFAS employee %d of %d has key %q: it needs both WerkgeverCode and Personeelsnummer as delivered", i+1, len(in.AFAS), k.String())
		}
		if _, dup := s.afasIdx[k]; dup {
			return fmt.Errorf("AFAS employee key %s occurs twice: the delivered keys (WerkgeverCode and Personeelsnummer after the profile's rewrite) must be unique; check the prefix/suffix rewrite", k)
		}
		s.afasIdx[k] = i
		bsn, ok := mapping.NormalizeBSN(e.BSN)
		if !ok {
			s.log(runlog.Melding, mapping.Employees, k.String(), LogBSNInvalid, string(FromAFAS))
		}
		_, achter, _ := mapping.Names(e.Naamgebruik, e.Voorvoegsel, e.Geboortenaam, e.VoorvoegselPartner, e.GeboortenaamPartner)
		r := afasRec{key: k, bsn: bsn, absences: e.Absences}
		r.names[0] = nameKey(e.Geboortedatum, e.Voorletters, achter)
		r.names[1] = nameKey(e.Geboortedatum, e.Voorletters, e.Geboortenaam)
		s.afas = append(s.afas, r)
		s.afasOut = append(s.afasOut, Record{Bron: FromAFAS, Key: k})
	}
	for _, x := range in.XS {
		k := x.Key()
		if k.WerkgeverCode == "" || k.Personeelsnummer == "" {
			return fmt.Errorf("Xpert Suite export line %d has key %q: every employee row needs WerkgeverCode and Personeelsnummer", x.Line, k.String())
		}
		if j, dup := s.xsIdx[k]; dup {
			return fmt.Errorf("Xpert Suite export line %d: employee %s occurs again (first on line %d); its key must be unique", x.Line, k, s.xs[j].line)
		}
		s.xsIdx[k] = len(s.xs)
		bsn, ok := mapping.NormalizeBSN(x.BSN)
		if !ok {
			s.log(runlog.Melding, mapping.Employees, k.String(), LogBSNInvalid, string(FromXS))
		}
		s.xs = append(s.xs, xsRec{key: k, bsn: bsn, name: nameKey(x.Geboortedatum, x.Voorletters, x.Achternaam), line: x.Line})
		s.xsOut = append(s.xsOut, Record{Bron: FromXS, Key: k})
	}
	return nil
}

// nameKey is what the `naam` method compares: birth date, first initial and normalised
// surname; "" when any of them is missing.
func nameKey(birth time.Time, voorletters, surname string) string {
	d, ini, sur := day(birth), initial(voorletters), NormalizeSurname(surname)
	if d == "" || ini == "" || sur == "" {
		return ""
	}
	return d + "|" + ini + "|" + sur
}

// applyDecisions applies the decisions whose records exist and that do not contradict others.
func (s *state) applyDecisions(ds []Decision) {
	var live []Decision
	seen := map[Decision]bool{}
	for _, d := range ds {
		if seen[d] {
			continue
		}
		seen[d] = true
		_, xsOK := s.xsIdx[d.XS]
		_, afasOK := s.afasIdx[d.AFAS]
		if !xsOK || !(afasOK || d.AFAS.IsZero()) {
			s.res.Stale = append(s.res.Stale, d)
			s.log(runlog.Melding, mapping.Employees, d.XS.String(), LogDecisionStale, d.AFAS.String())
			continue
		}
		live = append(live, d)
	}
	perXS, perAFAS := map[Key]int{}, map[Key]int{}
	for _, d := range live {
		perXS[d.XS]++
		if !d.AFAS.IsZero() {
			perAFAS[d.AFAS]++
		}
	}
	for _, d := range live {
		if perXS[d.XS] > 1 || perAFAS[d.AFAS] > 1 {
			s.res.Ignored = append(s.res.Ignored, d)
			s.log(runlog.Waarschuwing, mapping.Employees, d.XS.String(), LogDecisionConflicting, d.AFAS.String())
			continue
		}
		s.res.Applied = append(s.res.Applied, d)
		s.log(runlog.Metadata, mapping.Employees, d.XS.String(), LogDecisionApplied, d.AFAS.String())
		x := s.xsIdx[d.XS]
		if d.AFAS.IsZero() {
			s.xsOut[x].Uitkomst, s.xsOut[x].Methode = AlleenXS, Besluit
			continue
		}
		s.pair(s.afasIdx[d.AFAS], x, Gekoppeld, Besluit)
	}
}

// pair records the outcome of a pair on both records.
func (s *state) pair(a, x int, o Outcome, m Method) {
	s.afasOut[a].Uitkomst, s.afasOut[a].Methode, s.afasOut[a].Ander = o, m, []Key{s.xs[x].key}
	s.xsOut[x].Uitkomst, s.xsOut[x].Methode, s.xsOut[x].Ander = o, m, []Key{s.afas[a].key}
}

// method applies one method to the records that are still open.
func (s *state) method(m Method, opt Options) {
	// Index the open AFAS records by what the method compares.
	index := map[string][]int{}
	for i, a := range s.afas {
		if s.afasOut[i].Uitkomst != "" {
			continue
		}
		for _, v := range s.values(m, a) {
			index[v] = append(index[v], i)
		}
	}
	// The possible pairs, as adjacency lists on both sides.
	afasAdj, xsAdj := map[int][]int{}, map[int][]int{}
	for x, r := range s.xs {
		if s.xsOut[x].Uitkomst != "" {
			continue
		}
		v := s.xsValue(m, r)
		if v == "" {
			continue
		}
		for _, a := range index[v] {
			afasAdj[a] = append(afasAdj[a], x)
			xsAdj[x] = append(xsAdj[x], a)
		}
	}
	// Each XS record with possible partners seeds its group (connected component).
	done := map[int]bool{}
	for x := range s.xs {
		if len(xsAdj[x]) == 0 || done[x] {
			continue
		}
		xsGroup, afasGroup := s.group(x, afasAdj, xsAdj)
		for _, g := range xsGroup {
			done[g] = true
		}
		if len(xsGroup) == 1 && len(afasGroup) == 1 {
			s.resolve(m, afasGroup[0], x, opt)
			continue
		}
		for _, g := range xsGroup {
			s.xsOut[g].Uitkomst, s.xsOut[g].Methode, s.xsOut[g].Ander = Dubbelzinnig, m, s.afasKeys(xsAdj[g])
		}
		for _, g := range afasGroup {
			s.afasOut[g].Uitkomst, s.afasOut[g].Methode, s.afasOut[g].Ander = Dubbelzinnig, m, s.xsKeys(afasAdj[g])
		}
	}
}

// values are the AFAS record's values compared by method m ("" never matches).
func (s *state) values(m Method, a afasRec) []string {
	switch m {
	case Sleutel:
		return []string{a.key.WerkgeverCode + keySep + a.key.Personeelsnummer}
	case BSN:
		return nonEmpty(a.bsn)
	}
	if a.names[0] == a.names[1] {
		return nonEmpty(a.names[0])
	}
	return nonEmpty(a.names[0], a.names[1])
}

func (s *state) xsValue(m Method, x xsRec) string {
	switch m {
	case Sleutel:
		return x.key.WerkgeverCode + keySep + x.key.Personeelsnummer
	case BSN:
		return x.bsn
	}
	return x.name
}

func nonEmpty(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// group collects the connected component of possible pairs around XS record x.
func (s *state) group(x int, afasAdj, xsAdj map[int][]int) (xsGroup, afasGroup []int) {
	seenXS, seenAFAS := map[int]bool{x: true}, map[int]bool{}
	queue := []int{x}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		xsGroup = append(xsGroup, cur)
		for _, a := range xsAdj[cur] {
			if seenAFAS[a] {
				continue
			}
			seenAFAS[a] = true
			afasGroup = append(afasGroup, a)
			for _, nx := range afasAdj[a] {
				if !seenXS[nx] {
					seenXS[nx] = true
					queue = append(queue, nx)
				}
			}
		}
	}
	return xsGroup, afasGroup
}

// resolve settles a single possible pair under method m.
func (s *state) resolve(m Method, a, x int, opt Options) {
	ar, xr := s.afas[a], s.xs[x]
	bothBSN := ar.bsn != "" && xr.bsn != ""
	switch m {
	case Sleutel:
		if bothBSN && ar.bsn != xr.bsn {
			s.pair(a, x, Conflict, Sleutel)
			return
		}
		s.pair(a, x, Gekoppeld, Sleutel)
	case BSN:
		s.pair(a, x, Gekoppeld, BSN)
	default:
		if bothBSN && ar.bsn != xr.bsn {
			s.log(runlog.Waarschuwing, mapping.Employees, xr.key.String(), LogCandidateBSNDiffers, ar.key.String())
		}
		if opt.AcceptCandidates {
			s.pair(a, x, Gekoppeld, Naam)
			s.res.Accepted = append(s.res.Accepted, Decision{XS: xr.key, AFAS: ar.key})
			return
		}
		s.pair(a, x, Kandidaat, Naam)
	}
}

func (s *state) afasKeys(is []int) []Key {
	ks := make([]Key, len(is))
	for i, a := range is {
		ks[i] = s.afas[a].key
	}
	sortKeys(ks)
	return ks
}

func (s *state) xsKeys(is []int) []Key {
	ks := make([]Key, len(is))
	for i, x := range is {
		ks[i] = s.xs[x].key
	}
	sortKeys(ks)
	return ks
}

func sortKeys(ks []Key) { slices.SortFunc(ks, Key.compare) }

func sortRecords(rs []Record) {
	slices.SortStableFunc(rs, func(a, b Record) int {
		return cmp.Or(strings.Compare(string(a.Bron), string(b.Bron)), a.Key.compare(b.Key))
	})
}
