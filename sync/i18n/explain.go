package i18n

// explainMessages are the texts of koppel explain: the hints for an unknown employee and the
// notes on where a record stands on the day explained (today, or --date).
var explainMessages = map[string][2]string{
	"explain.unknown_name": {"medewerker %[1]q staat niet in AFAS; medewerkers met %[1]q in hun naam: %[2]s", "employee %[1]q is not in AFAS; employees with %[1]q in their name: %[2]s"},
	"explain.unknown_none": {"medewerker %[1]q staat niet in AFAS, en geen naam bevat het; geef een medewerkernummer of een deel van een naam", "employee %[1]q is not in AFAS, and no name holds it; give an employee number or part of a name"},

	"explain.day_dv_future":     {"op %[1]s nog niet in dienst: begint %[2]s; een run levert het nu al (ook toekomstige dienstverbanden worden geleverd)", "not yet employed on %[1]s: starts %[2]s; a run delivers it already (future-dated employments are delivered too)"},
	"explain.day_dv_active":     {"op %[1]s in dienst, sinds %[2]s, zonder einddatum", "employed on %[1]s, since %[2]s, without an end date"},
	"explain.day_dv_until":      {"op %[1]s in dienst, sinds %[2]s, tot en met %[3]s", "employed on %[1]s, since %[2]s, until %[3]s"},
	"explain.day_dv_ended":      {"op %[1]s uit dienst: einddatum %[2]s; geleverd met DatumUitDienst zolang die op of na date_from %[3]s ligt", "no longer employed on %[1]s: end date %[2]s; delivered with DatumUitDienst as long as it is on or after date_from %[3]s"},
	"explain.day_abs_future":    {"op %[1]s nog niet ziek: eerste verzuimdag %[2]s", "not yet absent on %[1]s: first day of absence %[2]s"},
	"explain.day_abs_open":      {"op %[1]s ziek sinds %[2]s, nog niet hersteld", "absent on %[1]s since %[2]s, not yet recovered"},
	"explain.day_abs_overdue":   {"op %[1]s ziek sinds %[2]s; de verwachte hersteldatum %[3]s is dan voorbij, maar AFAS heeft geen Datum_hersteld", "absent on %[1]s since %[2]s; the expected recovery date %[3]s has passed by then, but AFAS has no Datum_hersteld"},
	"explain.day_abs_recovers":  {"op %[1]s nog ziek: hersteld per %[2]s", "still absent on %[1]s: recovered as of %[2]s"},
	"explain.day_abs_recovered": {"op %[1]s hersteld: hersteld per %[2]s", "recovered by %[1]s: recovered as of %[2]s"},
	"explain.period":            {"ziekteperiode %[1]s: begonnen %[2]s, %[3]s verzuim(en), einde wachttijd %[4]s", "composite period %[1]s: began %[2]s, %[3]s absence(s), end of the waiting time %[4]s"},
	"explain.day_milestone":     {"op %[1]s: volgende Poortwachter-mijlpaal week %[2]s op %[3]s", "on %[1]s: next Gatekeeper milestone week %[2]s on %[3]s"},

	"explain.user_none":        {"geen leidinggevende-account: %[1]s is van geen afdeling (die niet vervallen is) de leidinggevende", "no manager account: %[1]s is the manager of no department (that is not Vervallen)"},
	"explain.user_undelivered": {"leidinggevende van %[1]s, maar geen account: de medewerker wordt niet geleverd", "manager of %[1]s, but no account: the employee is not delivered"},
	"explain.user_account":     {"leidinggevende-account: leidinggevende van %[1]s; Afdelingen, met alles eronder: %[2]s", "manager account: manager of %[1]s; Afdelingen, with everything below: %[2]s"},
	"tui.key.explain":          {"verklaar medewerker", "explain employee"},
	"tui.key.explain_go":       {"verklaren", "explain"},
	"tui.key.explain_day":      {"op een andere dag", "on another day"},
	"tui.explain.day":          {"Beoordeeld zoals op %[1]s, tegen de vorige levering (o: een andere dag)", "Evaluated as on %[1]s, against the last delivery (o: another day)"},
	"tui.explain.day_prompt":   {"Zoals op dag: ", "As on day: "},
	"tui.explain.bad_day":      {"%[1]q: verwacht %[2]s", "%[1]q: expected %[2]s"},
	"tui.explain.title":        {"Medewerker verklaren — profiel %[1]s", "Explain an employee — profile %[1]s"},
	"tui.explain.ask":          {"Welke medewerker? Een medewerkernummer, of een deel van een naam. koppel leest uit AFAS alleen wat die medewerker nodig heeft en levert of bewaart niets.", "Which employee? An employee number, or part of a name. koppel reads from AFAS only what that employee needs and delivers or stores nothing."},
	"tui.explain.placeholder":  {"bijv. 100231 of de Vries", "e.g. 100231 or de Vries"},
	"tui.explain.reading":      {"%[1]s: lezen uit AFAS…", "%[1]s: reading from AFAS…"},
	"tui.explain.pick":         {"Kies een medewerker:", "Choose an employee:"},
	"tui.explain.position":     {"regels %[1]s–%[2]s van %[3]s", "lines %[1]s–%[2]s of %[3]s"},
	"tui.explain.cancelled":    {"Afgebroken: niets bewaard.", "Cancelled: nothing stored."},
	"tui.explain.no_employee":  {"Deze regel gaat niet over één medewerker: kies een regel van een dienstverband, verzuim, gebruiker of medewerker.", "This line is not about one employee: choose a line of an employment, absence, user or employee."},
}
