package matching

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// matchAbsences matches the absences of matched employee pairs by their first day of absence.
// Within a pair, the absences that start on one day form a group: one on each side is a match,
// more than one on either side is ambiguous. The rest is alleen-afas or alleen-xs.
func (s *state) matchAbsences(xsAbs []XSAbsence) error {
	var recs []AbsenceRecord
	// afasAbs[a] and xsAbsOf[x] hold the indexes in recs of each employee's absences.
	afasAbs := make([][]int, len(s.afas))
	for a, r := range s.afas {
		first := map[string]string{} // VerzuimId → first day, to merge repeated progress entries
		for _, ab := range r.absences {
			if ab.VerzuimID == "" {
				return fmt.Errorf("AFAS employee %s has an absence without VerzuimId: every delivered absence needs one", r.key)
			}
			if d, dup := first[ab.VerzuimID]; dup {
				if d != day(ab.EersteVerzuimdag) {
					return fmt.Errorf("AFAS employee %s has absence %s with two first days (%s and %s): an absence has one EersteVerzuimdag", r.key, ab.VerzuimID, d, day(ab.EersteVerzuimdag))
				}
				continue
			}
			first[ab.VerzuimID] = day(ab.EersteVerzuimdag)
			afasAbs[a] = append(afasAbs[a], len(recs))
			recs = append(recs, AbsenceRecord{Bron: FromAFAS, Employee: r.key, VerzuimID: ab.VerzuimID, EersteVerzuimdag: ab.EersteVerzuimdag})
		}
	}
	xsAbsOf := make([][]int, len(s.xs))
	orphan := map[int]bool{}
	seen := map[AbsenceRef]XSAbsence{}
	for _, ab := range xsAbs {
		ref := AbsenceRef{ab.Employee(), ab.VerzuimID}
		if ab.WerkgeverCode == "" || ab.Personeelsnummer == "" || ab.VerzuimID == "" {
			return fmt.Errorf("Xpert Suite absence export line %d: every row needs WerkgeverCode, Personeelsnummer and VerzuimId", ab.Line)
		}
		if first, dup := seen[ref]; dup {
			if day(first.EersteVerzuimdag) != day(ab.EersteVerzuimdag) {
				return fmt.Errorf("Xpert Suite absence export line %d: absence %s of employee %s has another EersteVerzuimdag than on line %d", ab.Line, ab.VerzuimID, ref.Employee, first.Line)
			}
			continue
		}
		seen[ref] = ab
		x, ok := s.xsIdx[ref.Employee]
		if !ok {
			orphan[len(recs)] = true
		} else {
			xsAbsOf[x] = append(xsAbsOf[x], len(recs))
		}
		recs = append(recs, AbsenceRecord{Bron: FromXS, Employee: ref.Employee, VerzuimID: ab.VerzuimID, EersteVerzuimdag: ab.EersteVerzuimdag})
	}
	for a, out := range s.afasOut {
		if out.Uitkomst != Gekoppeld {
			continue
		}
		x := s.xsIdx[out.Ander[0]]
		// Group both sides' absences by first day.
		afasOn, xsOn := map[string][]int{}, map[string][]int{}
		for _, i := range afasAbs[a] {
			if d := day(recs[i].EersteVerzuimdag); d != "" {
				afasOn[d] = append(afasOn[d], i)
			}
		}
		for _, i := range xsAbsOf[x] {
			if d := day(recs[i].EersteVerzuimdag); d != "" {
				xsOn[d] = append(xsOn[d], i)
			}
		}
		for d, as := range afasOn {
			xs := xsOn[d]
			if len(xs) == 0 {
				continue
			}
			if len(as) == 1 && len(xs) == 1 {
				linkAbsences(recs, as, xs, Gekoppeld)
				continue
			}
			linkAbsences(recs, as, xs, Dubbelzinnig)
		}
	}
	for i := range recs {
		r := &recs[i]
		if r.Uitkomst != "" {
			if r.Uitkomst == Dubbelzinnig {
				s.log(runlog.Waarschuwing, mapping.Absences, absenceKey(r.Employee, r.VerzuimID), LogAbsenceAmbiguous, string(r.Bron), day(r.EersteVerzuimdag))
			}
			continue
		}
		if r.Bron == FromAFAS {
			r.Uitkomst = AlleenAFAS
			continue
		}
		r.Uitkomst = AlleenXS
		code := LogXSAbsenceOnly
		if orphan[i] {
			code = LogXSAbsenceUnknown
		} else if s.xsOut[s.xsIdx[r.Employee]].Uitkomst != Gekoppeld {
			code = LogXSAbsenceUnmatched
		}
		s.log(runlog.Waarschuwing, mapping.Absences, absenceKey(r.Employee, r.VerzuimID), code)
	}
	slices.SortStableFunc(recs, func(a, b AbsenceRecord) int {
		return cmp.Or(strings.Compare(string(a.Bron), string(b.Bron)), a.Employee.compare(b.Employee), strings.Compare(a.VerzuimID, b.VerzuimID))
	})
	s.res.Absences = recs
	return nil
}

// linkAbsences gives the absences of one day on both sides the outcome o, each naming the
// other side's absences as partners.
func linkAbsences(recs []AbsenceRecord, as, xs []int, o Outcome) {
	refs := func(is []int) []AbsenceRef {
		out := make([]AbsenceRef, len(is))
		for k, i := range is {
			out[k] = AbsenceRef{recs[i].Employee, recs[i].VerzuimID}
		}
		slices.SortFunc(out, func(a, b AbsenceRef) int { return strings.Compare(a.VerzuimID, b.VerzuimID) })
		return out
	}
	afasRefs, xsRefs := refs(as), refs(xs)
	for _, i := range as {
		recs[i].Uitkomst, recs[i].Methode, recs[i].Ander = o, Datum, xsRefs
	}
	for _, i := range xs {
		recs[i].Uitkomst, recs[i].Methode, recs[i].Ander = o, Datum, afasRefs
	}
}

// absenceKey renders an absence for the log: "WerkgeverCode/Personeelsnummer/VerzuimId".
func absenceKey(k Key, id string) string { return k.String() + "/" + id }
