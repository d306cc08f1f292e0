package mapping

// DeliveredAs tells how an employee (Medewerker) is delivered, for the files that refer to one
// (documenten.csv): the personnel number and the employer of the included employment with the
// latest start, as for manager accounts. ok is false for an employee who is not delivered.
// In flex mode that is the person, under the flex employer. Valid once EmploymentsDone.
func (m *Mapper) DeliveredAs(medewerker string) (personeelsnummer, werkgever string, ok bool) {
	if m.flex != nil {
		nr, fp := m.personOf(medewerker)
		if fp == nil || !fp.delivered {
			return "", "", false
		}
		return m.employee(nr), m.flexEmployer(), true
	}
	p := m.person(medewerker)
	if p == nil || !p.delivered {
		return "", "", false
	}
	return m.employee(medewerker), m.deliveredEmployer(p), true
}
