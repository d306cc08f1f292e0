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
}
