package mapping

// DeliveredAs tells how an employee (Medewerker) is delivered, for the files that refer to one
// (documenten.csv): the personnel number and the employer of the included employment with the
// latest start, as for manager accounts. ok is false for an employee who is not delivered.
// Valid once EmploymentsDone.
func (m *Mapper) DeliveredAs(medewerker string) (personeelsnummer, werkgever string, ok bool) {
	p := m.emps[medewerker]
	if p == nil || !p.delivered {
		return "", "", false
	}
	return m.employee(medewerker), p.employer, true
}
