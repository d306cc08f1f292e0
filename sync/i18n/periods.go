package i18n

// periodsMessages are the messages of the poortwachter view (koppel periods and its TUI
// screen): code → Dutch, English.
var periodsMessages = map[string][2]string{
	"cli.cmd.periods":       {"poortwachter: open ziekteperiodes met hun mijlpalen, uit de laatste levering", "gatekeeper view: open absence periods with their milestones, from the last delivery"},
	"cli.cmd.periods.long":  {"Toont per medewerker (bij Flex: per persoon) met een open samengestelde ziekteperiode de eerste dag en de mijlpalen van de Wet verbetering poortwachter: week 6 (probleemanalyse), week 8 (plan van aanpak), week 42 (ziekmelding UWV), week 52 (eerstejaarsevaluatie) en het einde van de wachttijd (104 weken). Week N eindigt op de eerste dag + 7·N − 1 dagen; dagen hersteld tussen verzuimen van één periode tellen niet mee. De eerstvolgende mijlpaal staat voorop, de meest dringende medewerker bovenaan; voorbije mijlpalen zijn gemarkeerd. Leest alleen de opslag (de laatste levering), roept AFAS niet aan.", "Shows, per employee (with Flex: per person) with an open composite absence period, its first day and the milestones of the Gatekeeper Act: week 6 (problem analysis), week 8 (plan of action), week 42 (report to UWV), week 52 (first-year evaluation) and the end of the waiting time (104 weeks). Week N ends on the first day + 7·N − 1 days; days recovered between the absences of one period do not count. The next milestone comes first, the most urgent employee at the top; past milestones are marked. Reads only the store (the last delivery), never calls AFAS."},
	"cli.args.periods":      {"verwacht één profielnaam", "expected one profile name"},
	"cli.flag.periods.date": {"de dag waarop de stand geldt, JJJJ-MM-DD (standaard vandaag)", "the day the view is as of, YYYY-MM-DD (default today)"},
	"cli.periods.bad_date":  {"--date %[1]s: verwacht JJJJ-MM-DD, bijv. 2026-03-31", "--date %[1]s: expected YYYY-MM-DD, e.g. 2026-03-31"},
	"cli.periods.progress":  {"poortwachter: %[1]s opgeslagen verzuimregels gelezen…", "gatekeeper view: %[1]s stored absence rows read…"},

	"periods.title":       {"Poortwachter — %[1]s, stand op %[2]s", "Gatekeeper view — %[1]s, as of %[2]s"},
	"periods.source":      {"uit levering %[1]s van %[2]s; AFAS is niet aangeroepen", "from delivery %[1]s of %[2]s; AFAS was not called"},
	"periods.no_delivery": {"%[1]s heeft nog niets geleverd: er is geen verzuim om te tonen.", "%[1]s has not delivered yet: there is no absence to show."},
	"periods.count":       {"%[1]s open ziekteperiodes (%[2]s verzuimen van %[3]s medewerkers in de levering)", "%[1]s open absence periods (%[2]s absences of %[3]s employees in the delivery)"},
	"periods.none":        {"Geen open ziekteperiodes op %[1]s.", "No open absence periods on %[1]s."},
	"periods.holder":      {"%[1]s  ziek sinds %[2]s, week %[3]s (%[4]s ziektedagen; %[5]s dagen hersteld tussendoor, niet meegeteld)", "%[1]s  sick since %[2]s, week %[3]s (%[4]s days of sickness; %[5]s days recovered in between, not counted)"},
	"periods.next":        {"volgende", "next"},
	"periods.past":        {"voorbij", "past"},
	"periods.estimated":   {"≈ de periode begon vóór date_from en de levering is ouder dan deze versie: mijlpalen vóór het eerste geleverde verzuim zijn geschat tot de volgende run", "≈ the period began before date_from and the delivery predates this version: milestones before its first delivered absence are estimated until the next run"},
	"periods.week":        {"week %[1]s", "week %[1]s"},
	"periods.ms.week6":    {"probleemanalyse", "problem analysis"},
	"periods.ms.week8":    {"plan van aanpak", "plan of action"},
	"periods.ms.week42":   {"ziekmelding UWV", "report to UWV"},
	"periods.ms.week52":   {"eerstejaarsevaluatie", "first-year evaluation"},
	"periods.ms.end":      {"einde wachttijd", "end of waiting time"},
	"periods.all_past":    {"alle mijlpalen voorbij", "every milestone past"},

	// The TUI screen.
	"tui.periods.title":      {"Poortwachter — %[1]s", "Gatekeeper view — %[1]s"},
	"tui.periods.loading":    {"Opgeslagen verzuim lezen… %[1]s regels", "Reading stored absences… %[1]s rows"},
	"tui.periods.col.holder": {"Medewerker", "Employee"},
	"tui.periods.col.first":  {"Eerste dag", "First day"},
	"tui.periods.col.week":   {"Week", "Week"},
	"tui.periods.col.next":   {"Volgende mijlpaal", "Next milestone"},
	"tui.periods.source":     {"stand op %[1]s · levering %[2]s van %[3]s · AFAS niet aangeroepen", "as of %[1]s · delivery %[2]s of %[3]s · AFAS not called"},
	"tui.periods.holder":     {"%[1]s · ziek sinds %[2]s · week %[3]s · %[4]s hersteldagen niet meegeteld", "%[1]s · sick since %[2]s · week %[3]s · %[4]s days recovered not counted"},
	"tui.periods.legend":     {"✓ = voorbij · week N eindigt op ziektedag 7·N; hersteldagen tellen niet", "✓ = past · week N ends on sick day 7·N; days recovered do not count"},
	"tui.periods.error":      {"Kan het verzuim niet lezen: %[1]s", "Cannot read the absences: %[1]s"},
	"tui.key.periods":        {"poortwachter", "gatekeeper"},
}
