package i18n

// documentMessages are the texts of the document coupling AFAS Documenten (documents.md).
var documentMessages = map[string][2]string{
	"cli.flag.sim.documents": {"vul Koppel_Dossieritems met dossieritems en bied hun bijlagen aan (AppConnectorSubject.asmx)", "fill Koppel_Dossieritems with dossier items and serve their attachments (AppConnectorSubject.asmx)"},

	"cli.afas.attachment-missing":             {"bijlage bestaat niet in AFAS", "attachment does not exist in AFAS"},
	"cli.afas.not-base64":                     {"bijlage is geen base64", "attachment is not base64"},
	"cli.afas.file-too-large":                 {"bijlage te groot", "attachment too large"},
	"cli.conn.dossieritems.purpose":           {"dossieritems, één rij per bijlage; geen onderwerp of vrije tekst", "dossier items, one row per attachment; no subject line or free text"},
	"cli.conn.dossieritems.Dossieritem":       {"id van het dossieritem (AFAS SubjectId)", "dossier item id (AFAS SubjectId)"},
	"cli.conn.dossieritems.Bijlage_id":        {"id van de bijlage (een GUID-achtige code)", "attachment id (a GUID-like code)"},
	"cli.conn.dossieritems.Medewerker":        {"de medewerker van het dossieritem", "the employee the item belongs to"},
	"cli.conn.dossieritems.Type_dossieritem":  {"code van het type dossieritem", "item type code"},
	"cli.conn.dossieritems.Type_omschrijving": {"omschrijving van het type", "item type description"},
	"cli.conn.dossieritems.Datum":             {"datum van het dossieritem", "item date"},
	"cli.conn.dossieritems.Bestandsnaam":      {"bestandsnaam van de bijlage", "the attachment's file name"},
	"cli.conn.dossieritems.Gewijzigd_op":      {"laatste wijziging", "last modification"},
}
