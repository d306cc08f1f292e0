package i18n

// columnsMessages are the messages of the configurable columns (delivery.columns): the
// `koppel columns` preview and the column editor of the wizard's delivery step.
var columnsMessages = map[string][2]string{
	"cli.cmd.columns":         {"toon per bestand de kopregel zoals koppel hem levert, met een voorbeeldregel uit de vorige levering", "show each file's header line as koppel delivers it, with an example row from the last delivery"},
	"cli.cmd.columns.long":    {"Toont voor elk bestand dat het profiel levert de kopregel precies zoals een run hem schrijft (met delivery.columns en delivery.mutation_column) en één voorbeeldregel uit de vorige levering (BSN gemaskeerd). Leest alleen de opslag: geen AFAS-aanroep, geen levering. Vergelijk de kopregel met de importconfiguratie in XS Connect voordat u levert.", "Shows, for each file the profile delivers, the header line exactly as a run writes it (with delivery.columns and delivery.mutation_column) and one example row from the last delivery (BSN masked). Reads the store only: no AFAS call, no delivery. Compare the header with the import configuration in XS Connect before delivering."},
	"cli.columns.title":       {"Profiel %[1]s — modus %[2]s", "Profile %[1]s — mode %[2]s"},
	"cli.columns.mutation":    {"Mutatiekolom: %[1]s (eerste kolom van de mutatiebestanden; verzuim.csv is altijd compleet)", "Mutation column: %[1]s (first column of the mutation files; verzuim.csv is always complete)"},
	"cli.columns.no_mutation": {"Geen mutatiekolom: een mutatielevering bevat alleen nieuwe en gewijzigde regels", "No mutation column: a mutation delivery holds new and changed rows only"},
	"cli.columns.example":     {"Voorbeeldregels uit levering %[1]s (BSN gemaskeerd).", "Example rows from delivery %[1]s (BSN masked)."},
	"cli.columns.no_delivery": {"Nog geen levering: er is geen voorbeeldregel. Zo ziet de kopregel van elk bestand eruit.", "No delivery yet: there is no example row. This is each file's header line."},
	"cli.columns.no_rows":     {"(geen voorbeeld: de vorige levering had geen regel voor dit bestand)", "(no example: the last delivery had no row for this file)"},

	"tui.step.columns":               {"Levering: kolommen", "Delivery: columns"},
	"tui.stephelp.columns":           {"De kolommen zoals de importconfiguratie van de klant in XS Connect ze verwacht. Lijsten met komma's, paren als Kolom=Waarde.", "The columns as the customer's import configuration in XS Connect expects them. Lists with commas, pairs as Column=Value."},
	"tui.f.mutation_column":          {"Mutatiekolom", "Mutation column"},
	"tui.f.columns_file":             {"Kolommen van", "Columns of"},
	"tui.f.rename":                   {"Hernoemen", "Rename"},
	"tui.f.omit":                     {"Weglaten", "Leave out"},
	"tui.f.add":                      {"Vaste waarden", "Fixed values"},
	"tui.f.order":                    {"Vooraan", "First"},
	"tui.columns.none":               {"geen (alleen nieuw en gewijzigd)", "none (new and changed only)"},
	"tui.key.columns":                {"kolommen", "columns"},
	"tui.key.columns_done":           {"terug naar levering", "back to delivery"},
	"tui.columns.line":               {"Kolommen: %[1]s (%[2]s: aanpassen)", "Columns: %[1]s (%[2]s: adjust)"},
	"tui.columns.standard":           {"zoals koppel ze levert", "as koppel delivers them"},
	"tui.columns.custom":             {"aangepast voor %[1]s", "adjusted for %[1]s"},
	"tui.columns.no_mutation_column": {"geen mutatiekolom", "no mutation column"},
	"tui.columns.as_delivered":       {"%[1]s zoals geleverd:", "%[1]s as delivered:"},
	"tui.columns.example":            {"Voorbeeld uit levering %[1]s (BSN gemaskeerd):", "Example from delivery %[1]s (BSN masked):"},
	"tui.columns.no_delivery":        {"Nog geen levering: geen voorbeeldregel.", "No delivery yet: no example row."},
	"tui.columns.no_rows":            {"Geen voorbeeld: de vorige levering had geen regel voor dit bestand.", "No example: the last delivery had no row for this file."},
	"tui.columns.others":             {"Ook (kolommen): %[1]s", "Also (columns): %[1]s"},
	"tui.columns.n":                  {"%[1]s %[2]s", "%[1]s %[2]s"},
	"tui.columns.invalid":            {"Geen voorbeeld zolang de kolommen niet kloppen: zie de velden hierboven.", "No preview while the columns are not right: see the fields above."},
	"tui.columns.invalid_summary":    {"De kolommen kloppen niet: %[1]s toont waar.", "The columns are not right: %[1]s shows where."},
	"tui.columns.load_failed":        {"Voorbeeld niet te lezen: %[1]s", "The example cannot be read: %[1]s"},
}
