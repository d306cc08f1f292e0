package mapping

import (
	"strconv"
	"strings"

	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// The employee index: what the other files need of every employee, held across a run. It is
// the largest thing a run holds (one entry per employee), so it is packed: per employee one
// string with its Medewerker number and delivered person fields, and a small fixed part in one
// slice; the map from Medewerker number to that slice has the number from the packed string as
// key, so nothing of the decoded rows stays reachable.

// person is an employee as the other files need it.
type person struct {
	fields      string       // Medewerker, then the personFields, joined by KeySep
	extra       *personExtra // only when AFAS sent something to report
	latestStart int64        // Unix seconds of the start of the delivered employment that started last (a date)
	employer    uint32       // of that employment, in Mapper.employers
	naamgebruik uint8        // kept for the partner_missing log: 1 to 3 when it is written
	flags       uint8
	delivered   bool // with at least one employment
}

// personExtra is what an employee record carries only when AFAS sent something to report.
type personExtra struct {
	errs    []values.FieldError
	cleaned []string
}

// The person fields, in packed order after the Medewerker number.
const (
	pPersoonsnummer = iota
	pBSN
	pVoorletters
	pVoornaam
	pRoepnaam
	pTussen
	pAchter
	pGeboortenaam
	pGeslacht
	pGeboortedatum
	pEmail
	pTelefoon
	pMobiel
	personFields
)

const (
	fPartnerFallback uint8 = 1 << iota
	fBSNInvalid
	fReported
)

// addPerson packs an employee into the index; false when its Medewerker number is there already.
func (m *Mapper) addPerson(e *Employee) bool {
	if _, dup := m.emps[e.Medewerker]; dup {
		return false
	}
	p := person{}
	if e.Errs != nil || e.Cleaned != nil {
		p.extra = &personExtra{errs: e.Errs, cleaned: e.Cleaned}
	}
	tussen, achter, fellBack := Names(e.Naamgebruik, e.Voorvoegsel, e.Geboortenaam, e.VoorvoegselPartner, e.GeboortenaamPartner)
	if fellBack {
		p.flags |= fPartnerFallback
		p.naamgebruik = uint8(e.Naamgebruik) // 1 to 3 (Names falls back only then)
	}
	bsn, n, ok := normalBSN(e.BSN)
	if !ok {
		p.flags |= fBSNInvalid
	}
	b := append(m.personBuf[:0], e.Medewerker...)
	b = append(append(b, KeySep...), e.Persoonsnummer...)
	b = append(append(b, KeySep...), bsn[:n]...)
	for _, f := range [...]string{e.Voorletters, e.Voornaam, e.Roepnaam, tussen, achter, e.Geboortenaam, Geslacht(e.Geslacht)} {
		b = append(append(b, KeySep...), f...)
	}
	b = appendDate(append(b, KeySep...), e.Geboortedatum)
	for _, f := range [...]string{e.Email, e.Telefoon, e.Mobiel} {
		b = append(append(b, KeySep...), f...)
	}
	p.fields, m.personBuf = string(b), b
	m.emps[p.fields[:len(e.Medewerker)]] = int32(m.people.n)
	m.people.add(p)
	return true
}

// Ready tells whether an employment row of medewerker can be mapped before the last employee is
// read: its employee is in the index, and nothing about it depends on the employees still to
// come (in flex mode a person's number does: it is known after the last employee only).
func (m *Mapper) Ready(medewerker string) bool {
	i, ok := m.emps[medewerker]
	if ok {
		m.ready = readyPerson{medewerker, i}
	}
	return ok && m.flex == nil
}

// readyPerson is the employee Ready found last: Employment, which comes next for the same row,
// takes it from there instead of looking it up again. An employee keeps its place in the index.
type readyPerson struct {
	medewerker string
	at         int32
}

// employmentPerson is person(medewerker) for an employment row.
func (m *Mapper) employmentPerson(medewerker string) *person {
	if r := m.ready; r.medewerker == medewerker && medewerker != "" {
		return m.people.at(int(r.at))
	}
	return m.person(medewerker)
}

// person returns an employee of the index, nil when there is none.
func (m *Mapper) person(medewerker string) *person {
	i, ok := m.emps[medewerker]
	if !ok {
		return nil
	}
	return m.people.at(int(i))
}

// peopleChunk is how many employees a chunk of the index holds.
const peopleChunk = 1024

// people holds the employees in chunks of a fixed size: a slice grown by append would copy
// itself over and over (five times its final size for a large customer), and a pointer to an
// employee stays valid.
type people struct {
	chunks [][]person
	n      int
}

func (ps *people) add(p person) {
	if ps.n%peopleChunk == 0 {
		ps.chunks = append(ps.chunks, make([]person, 0, peopleChunk))
	}
	c := &ps.chunks[len(ps.chunks)-1]
	*c = append(*c, p)
	ps.n++
}

func (ps *people) at(i int) *person { return &ps.chunks[i/peopleChunk][i%peopleChunk] }

// last is the employee added last.
func (ps *people) last() *person { return ps.at(ps.n - 1) }

// medewerker is the Medewerker number, the first packed field.
func (p *person) medewerker() string {
	i := strings.Index(p.fields, KeySep)
	return p.fields[:i]
}

// persoonsnummer is the first of the person fields.
func (p *person) persoonsnummer() string {
	f := p.fields[len(p.medewerker())+len(KeySep):]
	if i := strings.Index(f, KeySep); i >= 0 {
		return f[:i]
	}
	return f
}

// fieldsInto writes the person fields into dst (personFields long) as substrings of the packed
// string, without an allocation.
func (p *person) fieldsInto(dst []string) {
	f := p.fields[len(p.medewerker())+len(KeySep):]
	for i := 0; i < personFields-1; i++ {
		j := strings.Index(f, KeySep)
		dst[i], f = f[:j], f[j+len(KeySep):]
	}
	dst[personFields-1] = f
}

// unpack returns the person fields.
func (p *person) unpack() []string {
	out := make([]string, personFields)
	p.fieldsInto(out)
	return out
}

func (p *person) errs() []values.FieldError {
	if p.extra == nil {
		return nil
	}
	return p.extra.errs
}

// employerID returns the number of an employer code in m.employers, adding it (a copy: the code
// may be part of a record's text) when it is new.
func (m *Mapper) employerID(code string) uint32 {
	if id, ok := m.employerIDs[code]; ok {
		return id
	}
	code = strings.Clone(code)
	id := uint32(len(m.employers))
	m.employers = append(m.employers, code)
	m.employerIDs[code] = id
	return id
}

// deliveredEmployer is the employer of an employee's delivered employment that started last.
func (m *Mapper) deliveredEmployer(p *person) string { return m.employers[p.employer] }

// report logs, once, what was found about the employee: only for an employee who is delivered
// with an employment, as a consultant only needs to know about those.
func (m *Mapper) report(p *person, nr, entity string) {
	if p.flags&fReported != 0 {
		return
	}
	p.flags |= fReported
	if p.flags&fPartnerFallback != 0 {
		m.logIf(runlog.Melding, entity, m.employee(nr), "emp.partner_missing", strconv.Itoa(int(p.naamgebruik)))
	}
	if p.flags&fBSNInvalid != 0 {
		m.logIf(runlog.Waarschuwing, entity, m.employee(nr), "emp.bsn_invalid")
	}
	if m.cfg.Werknemer && p.extra != nil {
		m.cleaned(entity, m.employee(nr), p.extra.cleaned)
	}
}
