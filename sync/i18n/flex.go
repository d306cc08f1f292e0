package i18n

// flexMessages are the texts of AFAS Flex (shared spec flex.md): the placements connector, the
// flex profile keys, the flex rules' log lines and the wizard's flex step.
var flexMessages = map[string][2]string{
	"cli.conn.plaatsingen.purpose":              {"plaatsingen van flexkrachten bij opdrachtgevers, één rij per plaatsing (alleen AFAS Flex)", "placements of flex workers at clients, one row per placement (AFAS Flex only)"},
	"cli.conn.plaatsingen.Plaatsing":            {"id van de plaatsing", "placement id"},
	"cli.conn.plaatsingen.Medewerker":           {"het medewerkerrecord waar de plaatsing bij hoort", "the employee record the placement belongs to"},
	"cli.conn.plaatsingen.Opdrachtgever_code":   {"code van de opdrachtgever (inlener)", "client (inlener) code"},
	"cli.conn.plaatsingen.Opdrachtgever_naam":   {"naam van de opdrachtgever", "client name"},
	"cli.conn.plaatsingen.Begindatum_plaatsing": {"begin", "start"},
	"cli.conn.plaatsingen.Einddatum_plaatsing":  {"einde; leeg zolang de plaatsing loopt", "end; empty while running"},
	"cli.conn.plaatsingen.Functie_omschrijving": {"functie bij de opdrachtgever", "job at the client"},
	"cli.conn.plaatsingen.Uren_per_week":        {"uren per week bij de opdrachtgever", "hours per week at the client"},
	"cli.conn.plaatsingen.Gewijzigd_op":         {"laatste wijziging", "last modification"},

	"cli.flag.sim.flex":  {"een AFAS Flex-omgeving: Koppel_Plaatsingen en flexkrachten met meerdere medewerkerrecords", "an AFAS Flex environment: Koppel_Plaatsingen and flex workers with several employee records"},
	"cli.flag.demo.flex": {"demo van AFAS Flex (profiel demo-flex): elke persoon één keer, plaatsingen zichtbaar", "demo of AFAS Flex (profile demo-flex): every person once, placements visible"},

	"profile.flex_employer":      {"is leeg terwijl flex.enabled aan staat", "is empty while flex.enabled is on"},
	"profile.flex_employer.form": {"de WerkgeverCode waaronder elke flexkracht één keer staat, bijv. UZB", "the WerkgeverCode under which every flex worker is registered once, e.g. UZB"},

	"tui.step.flex":           {"AFAS Flex", "AFAS Flex"},
	"tui.stephelp.flex":       {"Alleen voor uitzend- en payrollbureaus: elke flexkracht één keer in Xpert Suite, met één verzuimdossier en zijn plaatsingen. Standaard uit.", "Staffing and payroll agencies only: every flex worker once in Xpert Suite, with one absence file and their placements. Off by default."},
	"tui.f.flex":              {"AFAS Flex (persoon i.p.v. medewerkerrecord)", "AFAS Flex (person instead of employee record)"},
	"tui.f.flex_employer":     {"Flex-werkgevercode", "Flex employer code"},
	"tui.wizard.flex_missing": {"%[1]s ontbreekt of klopt niet bij AFAS; het account wordt een concept tot die er is (definities: %[2]s)", "%[1]s is missing or wrong at AFAS; the account is a draft until it is there (definitions: %[2]s)"},

	"entity.placements":         {"Plaatsingen", "Placements"},
	"dv.flex_no_person":         {"medewerker %[1]s heeft geen Persoonsnummer (flex: elke persoon één keer)", "employee %[1]s has no Persoonsnummer (flex: every person once)"},
	"dv.flex_manager_no_person": {"leidinggevende %[1]s heeft geen Persoonsnummer; LeidinggevendePersoneelsnummer leeg geleverd", "manager %[1]s has no Persoonsnummer; LeidinggevendePersoneelsnummer delivered empty"},
	"emp.flex_bsn_differs":      {"de medewerkerrecords van deze persoon hebben verschillende geldige BSN's; geleverd met die van het hoofdrecord", "this person's employee records have different valid BSNs; delivered with the primary record's"},
	"emp.flex_birth_differs":    {"de medewerkerrecords van deze persoon hebben verschillende geboortedata; geleverd met die van het hoofdrecord", "this person's employee records have different birth dates; delivered with the primary record's"},
	"abs.flex_no_person":        {"verzuim van medewerker %[1]s, die geen Persoonsnummer heeft (flex)", "absence of employee %[1]s, who has no Persoonsnummer (flex)"},
	"plc.duplicate":             {"plaatsing komt twee keer voor; de tweede rij is niet geleverd", "placement occurs twice; the second row was not delivered"},
	"plc.end_before_start":      {"Einddatum_plaatsing %[1]s ligt voor Begindatum_plaatsing %[2]s", "Einddatum_plaatsing %[1]s is before Begindatum_plaatsing %[2]s"},
	"plc.employee_missing":      {"medewerker %[1]s staat niet in Koppel_Medewerkers", "employee %[1]s is not in Koppel_Medewerkers"},
	"plc.no_person":             {"plaatsing van medewerker %[1]s, die geen Persoonsnummer heeft", "placement of employee %[1]s, who has no Persoonsnummer"},
	"plc.person_not_delivered":  {"plaatsing van persoon %[1]s, die niet geleverd wordt (geen dienstverband vanaf de datum vanaf)", "placement of person %[1]s, who is not delivered (no employment from the date-from)"},
	"explain.plc_ended":         {"niet geleverd: plaatsing eindigde %[1]s, vóór date_from %[2]s", "not delivered: the placement ended %[1]s, before date_from %[2]s"},
}
