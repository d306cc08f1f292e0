package connectors

import (
	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/documents"
	"github.com/koppel-nl/koppel/sync/mapping"
)

// Field names of Koppel_Dossieritems.
const (
	FDossieritem      = "Dossieritem"
	FBijlageID        = "Bijlage_id"
	FTypeDossieritem  = "Type_dossieritem"
	FTypeOmschrijving = "Type_omschrijving"
	FDatum            = "Datum"
	FBestandsnaam     = "Bestandsnaam"
)

// dossieritems is the row of AFAS Documenten: one row per attachment. It reads no subject line
// or free text (a subject line can carry medical detail); the attachments themselves come from
// AppConnectorSubject.asmx, never from this connector.
func dossieritems() Connector {
	s, i, dt := afas.String, afas.Int, afas.Date
	return Connector{
		Role: Dossieritems, ID: "Koppel_Dossieritems", Purpose: "dossier items, one row per attachment (AFAS Documenten only); no subject line or free text",
		Sort: []string{FDossieritem, FBijlageID}, Entity: mapping.Documents, TypeFilter: FTypeDossieritem,
		Needed:  func(sel Selection) bool { return sel.Documenten },
		Decoder: byName(DossierItemFrom),
		Fields: []Field{
			{FDossieritem, i, true, "dossier item id (AFAS SubjectId)"},
			{FBijlageID, s, true, "attachment id (a GUID-like code)"},
			{FMedewerker, s, false, "the employee the item belongs to"},
			{FTypeDossieritem, s, false, "item type code"},
			{FTypeOmschrijving, s, false, "item type description"},
			{FDatum, dt, false, "item date"},
			{FBestandsnaam, s, false, "the attachment's file name"},
			{FGewijzigd, dt, false, "last modification"},
		},
	}
}

// DossierItemFrom converts a decoded Koppel_Dossieritems row.
func DossierItemFrom(r afas.Row) documents.Item {
	return documents.Item{
		Dossieritem: r.Int(FDossieritem), BijlageID: str(r, FBijlageID), Medewerker: str(r, FMedewerker),
		Type: str(r, FTypeDossieritem), TypeOmschrijving: str(r, FTypeOmschrijving), Datum: date(r, FDatum),
		Bestandsnaam: str(r, FBestandsnaam), GewijzigdOp: date(r, FGewijzigd), Errs: errsOf(r),
	}
}
