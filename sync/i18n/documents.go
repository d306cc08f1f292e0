package i18n

// documentMessages are the texts of the document coupling AFAS Documenten (documents.md).
var documentMessages = map[string][2]string{
	"cli.flag.sim.documents": {"vul Koppel_Dossieritems met dossieritems en bied hun bijlagen aan (AppConnectorSubject.asmx)", "fill Koppel_Dossieritems with dossier items and serve their attachments (AppConnectorSubject.asmx)"},

	"cli.afas.attachment-missing":             {"bijlage bestaat niet in AFAS", "attachment does not exist in AFAS"},
	"cli.afas.not-base64":                     {"bijlage is geen base64", "attachment is not base64"},
	"cli.afas.file-too-large":                 {"bijlage te groot", "attachment too large"},
	"cli.conn.dossieritems.purpose":           {"dossieritems, één rij per bijlage (alleen voor AFAS Documenten); geen onderwerp of vrije tekst", "dossier items, one row per attachment (AFAS Documenten only); no subject line or free text"},
	"cli.conn.dossieritems.Dossieritem":       {"id van het dossieritem (AFAS SubjectId)", "dossier item id (AFAS SubjectId)"},
	"cli.conn.dossieritems.Bijlage_id":        {"id van de bijlage (een GUID-achtige code)", "attachment id (a GUID-like code)"},
	"cli.conn.dossieritems.Medewerker":        {"de medewerker van het dossieritem", "the employee the item belongs to"},
	"cli.conn.dossieritems.Type_dossieritem":  {"code van het type dossieritem", "item type code"},
	"cli.conn.dossieritems.Type_omschrijving": {"omschrijving van het type", "item type description"},
	"cli.conn.dossieritems.Datum":             {"datum van het dossieritem", "item date"},
	"cli.conn.dossieritems.Bestandsnaam":      {"bestandsnaam van de bijlage", "the attachment's file name"},
	"cli.conn.dossieritems.Gewijzigd_op":      {"laatste wijziging", "last modification"},
}

// documentProfileMessages are the profile problems of couplings.documenten.
var documentProfileMessages = map[string][2]string{
	"profile.doc_types":            {"geen dossieritemtypen gekozen", "no dossier item types chosen"},
	"profile.doc_types.form":       {"minstens één code van een type dossieritem, bijvoorbeeld types: [PVA, ZMF]", "at least one dossier item type code, e.g. types: [PVA, ZMF]"},
	"profile.doc_type":             {"%[1]q is geen code van een type dossieritem", "%[1]q is not a dossier item type code"},
	"profile.doc_type.form":        {"een code van letters, cijfers, '.', '-' of '_', hoogstens 20 tekens, zoals AFAS die toont (Type_dossieritem)", "a code of letters, digits, '.', '-' or '_', at most 20 characters, as AFAS shows it (Type_dossieritem)"},
	"profile.doc_type_twice":       {"type %[1]q staat er twee keer", "type %[1]q is listed twice"},
	"profile.doc_type_twice.form":  {"elk type één keer", "each type once"},
	"profile.doc_max_file_mb":      {"%[1]s MB kan niet", "%[1]s MB is not possible"},
	"profile.doc_max_file_mb.form": {"een aantal MB van 1 tot 1024 (standaard 25)", "a number of MB from 1 to 1024 (default 25)"},

	"entity.documents":        {"Documenten", "Documents"},
	"tui.coupling.documenten": {"Documenten", "Documenten"},
	"doc.bytes":               {"Documenten: %[1]s verzonden", "Documents: %[1]s sent"},

	"doc.fetched":         {"%[1]s bijlagen opgehaald uit AFAS (%[2]s)", "%[1]s attachments fetched from AFAS (%[2]s)"},
	"doc.types":           {"dossieritems gelezen van de typen %[1]s; andere typen worden niet opgevraagd", "dossier items read of the types %[1]s; other types are not requested"},
	"doc.other_types":     {"%[1]s dossieritems van een type buiten de lijst overgeslagen", "%[1]s dossier items of a type outside the list skipped"},
	"doc.not_delivered":   {"dossieritem van medewerker %[1]s, die niet geleverd wordt: overgeslagen", "dossier item of employee %[1]s, who is not delivered: skipped"},
	"doc.bad_key":         {"Dossieritem of Bijlage_id is geen gewone code; verwacht: een positief getal en een code van letters, cijfers, '-' of '_'", "Dossieritem or Bijlage_id is not a plain code; expected: a positive number and a code of letters, digits, '-' or '_'"},
	"doc.too_large":       {"bijlage groter dan %[1]s MB (couplings.documenten.max_file_mb): niet geleverd", "attachment larger than %[1]s MB (couplings.documenten.max_file_mb): not delivered"},
	"doc.missing":         {"bijlage bestaat niet in AFAS: %[1]s", "attachment does not exist in AFAS: %[1]s"},
	"doc.not_base64":      {"AFAS gaf de bijlage niet als base64: niet geleverd", "AFAS did not send the attachment as base64: not delivered"},
	"doc.download_failed": {"bijlage niet opgehaald: %[1]s", "attachment not fetched: %[1]s"},

	"tui.step.documents":     {"Documenten", "Documents"},
	"tui.stephelp.documents": {"AFAS Documenten levert bijlagen van dossieritems aan het verzuimdossier. Vink de typen aan die geleverd mogen worden (spatie: aan/uit); andere typen leest koppel nooit.", "AFAS Documenten delivers the attachments of dossier items to the absence file. Tick the types that may be delivered (space: on/off); koppel never reads other types."},
	"tui.f.documenten":       {"AFAS Documenten", "AFAS Documenten"},
	"tui.f.doc_type":         {"type", "type"},
	"tui.f.doc_max_mb":       {"Grootste bijlage (MB)", "Largest attachment (MB)"},
	"tui.doc.count":          {"(%[1]s bijlagen)", "(%[1]s attachments)"},
	"tui.doc.medical":        {"de naam wijst op medische gegevens: die horen niet in het verzuimdossier van de werkgever (AVG) — alleen aanvinken als dat zeker niet zo is", "the name suggests medical data: that does not belong in the employer's absence file (GDPR) — tick only if it certainly is not"},
	"tui.doc.reading":        {"dossieritemtypen worden uit AFAS gelezen (geen bestanden)…", "reading the dossier item types from AFAS (no files)…"},
	"tui.doc.not_found":      {"(nu geen dossieritems van dit type in AFAS)", "(no dossier items of this type in AFAS now)"},
	"tui.doc.none":           {"Koppel_Dossieritems heeft (nog) geen dossieritems.", "Koppel_Dossieritems has no dossier items (yet)."},
	"tui.doc.read_failed":    {"de typen konden niet gelezen worden: %[1]s", "the types could not be read: %[1]s"},
	"tui.doc.privacy":        {"Een document wordt één keer verzonden; een gewijzigd document opnieuw. Alleen van medewerkers die AFAS Werknemer levert.", "A document is sent once; a changed document again. Only for employees AFAS Werknemer delivers."},
}
