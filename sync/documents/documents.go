// Package documents holds the rules of the document coupling AFAS Documenten (shared spec
// documents.md): which dossier items are delivered, the safe file name of an attachment, when a
// document is downloaded again, and the row of documenten.csv. It does no I/O: the engine reads
// the items, downloads the attachments and writes the files.
package documents

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/values"
)

// Entity is the run summary's name of the documents; File the delivered list, Folder the
// folder inside the delivery that holds the attachments.
const (
	Entity = "documents"
	File   = "documenten.csv"
	Folder = "documenten"
)

// DefaultMaxFileMB is the cap on one attachment when the profile sets none.
const DefaultMaxFileMB = 25

// Item is one row of Koppel_Dossieritems: one attachment of a dossier item. No subject line or
// free text is read.
type Item struct {
	Dossieritem      int64
	BijlageID        string
	Medewerker       string
	Type             string
	TypeOmschrijving string
	Datum            time.Time
	Bestandsnaam     string
	GewijzigdOp      time.Time
	Errs             []values.FieldError
}

// Columns of documenten.csv, and the state's one more: the Gewijzigd_op delivered, which tells
// an unchanged document without downloading it.
const (
	ColWerkgever = iota
	ColPersoneelsnummer
	ColDocumentID
	ColType
	ColTypeOmschrijving
	ColDatum
	ColBestandsnaam
	ColBestand
	ColGrootte
	ColSHA256
	colGewijzigd // state only
	stateCols
)

// Columns is the header of documenten.csv (without the Mutatie column of mode mutaties).
func Columns() []string {
	return strings.Split("WerkgeverCode;Personeelsnummer;DocumentId;Type;TypeOmschrijving;Datum;Bestandsnaam;Bestand;Grootte;SHA256", ";")
}

// KeyColumns identify a row of documenten.csv.
func KeyColumns() []string { return []string{"DocumentId"} }

// ID is the DocumentId: "<Dossieritem>-<Bijlage_id>".
func ID(it Item) string { return strconv.FormatInt(it.Dossieritem, 10) + "-" + it.BijlageID }

// maxSafeName is how many characters of a file name are kept.
const maxSafeName = 100

// SafeName makes an AFAS file name safe to use as a file name in the delivery: every character
// other than ASCII letters, digits, '.', '-' and '_' becomes '_'; the first 100 characters are
// kept; an empty result becomes "bestand"; a leading '.' becomes '_'. No separator survives, so
// the name can never leave the documenten folder.
func SafeName(name string) string {
	var b strings.Builder
	n := 0
	for _, r := range name {
		if n == maxSafeName {
			break
		}
		if safeRune(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		n++
	}
	s := b.String()
	if s == "" {
		return "bestand"
	}
	if s[0] == '.' {
		s = "_" + s[1:]
	}
	return s
}

// Path is where an item's attachment lies inside the delivery: documenten/<DocumentId>-<safe name>.
func Path(it Item) string { return FolderPath(ID(it), it.Bestandsnaam) }

// FolderPath is the path inside the delivery of a document's attachment named name.
func FolderPath(documentID, name string) string {
	return Folder + "/" + documentID + "-" + SafeName(name)
}

// attachmentID is the form of a Bijlage_id koppel accepts: AFAS's codes are GUID-like. Anything
// else (a separator, "..") could reach the file name, so such an item is Uitval.
var attachmentID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Verdict is what the rules decide about an item before anything is downloaded.
type Verdict int

// The verdicts.
const (
	Take          Verdict = iota // a candidate: compare with the state, maybe download
	SkipType                     // a type outside the profile's whitelist (Metadata)
	SkipEmployee                 // an employee who is not delivered (Melding)
	RejectField                  // a value AFAS sent that does not fit (Uitval)
	RejectID                     // a Bijlage_id that is not a plain code (Uitval)
	RejectSubject                // a Dossieritem that is not a positive number (Uitval)
)

// Judge decides an item: its type must be whitelisted, its employee delivered, its keys plain.
func Judge(it Item, types []string, delivered func(medewerker string) bool) Verdict {
	if !slices.Contains(types, it.Type) {
		return SkipType
	}
	if len(it.Errs) > 0 {
		return RejectField
	}
	if it.Dossieritem <= 0 || it.Dossieritem > 1<<31-1 {
		return RejectSubject
	}
	if !attachmentID.MatchString(it.BijlageID) {
		return RejectID
	}
	if !delivered(it.Medewerker) {
		return SkipEmployee
	}
	return Take
}

// Unchanged tells, from the state delivered last time (nil: never delivered), that a document
// need not be downloaded: its Gewijzigd_op is the one delivered.
func Unchanged(old []string, it Item) bool {
	return len(old) == stateCols && old[colGewijzigd] == stamp(it.GewijzigdOp)
}

// Outcome is what a downloaded document is against the state delivered last time.
type Outcome int

// The outcomes.
const (
	New         Outcome = iota // never delivered: listed and sent
	Changed                    // its content changed: listed and sent again
	SameContent                // modified in AFAS, same bytes: not sent, the state keeps the new Gewijzigd_op
)

// safeRune tells a character a safe file name keeps: ASCII letters and digits, '.', '-', '_'.
func safeRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_'
}

// Compare tells a downloaded document's outcome by its SHA-256.
func Compare(old []string, sha string) Outcome {
	// if, not switch: conditions on a case line are invisible to the mutation tests' coverage.
	if old == nil {
		return New
	}
	if len(old) == stateCols && old[ColSHA256] == sha {
		return SameContent
	}
	return Changed
}

// Row is an item's row of documenten.csv, with the state column at the end: personnel number and
// employer as delivered for the employee.
func Row(it Item, personeelsnummer, werkgever string, size int64, sha string) []string {
	v := make([]string, stateCols)
	v[ColWerkgever] = werkgever
	v[ColPersoneelsnummer] = personeelsnummer
	v[ColDocumentID] = ID(it)
	v[ColType] = it.Type
	v[ColTypeOmschrijving] = it.TypeOmschrijving
	v[ColDatum] = day(it.Datum)
	v[ColBestandsnaam] = it.Bestandsnaam
	v[ColBestand] = Path(it)
	v[ColGrootte] = strconv.FormatInt(size, 10)
	v[ColSHA256] = sha
	v[colGewijzigd] = stamp(it.GewijzigdOp)
	return v
}

// Removed is the row of a document that is gone from AFAS (mode mutaties): as delivered, without
// a file in this delivery.
func Removed(old []string) []string {
	v := slices.Clone(old)
	if len(v) > ColBestand {
		v[ColBestand] = ""
	}
	return v
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// stamp is Gewijzigd_op as the state keeps it: to the second, so a document modified twice on one
// day is seen as modified.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02T15:04:05")
}

// Failure names why a download failed, as a catalog code with its arguments after the
// DocumentId: too large (with the cap), missing in AFAS, not base64, or failed after retries.
func Failure(err error, maxMB int) (code string, args []string) {
	var ae *afas.Error
	if errors.As(err, &ae) {
		switch ae.Kind {
		case afas.FaultFileTooLarge:
			return "doc.too_large", []string{strconv.Itoa(maxMB)}
		case afas.FaultAttachmentMissing:
			return "doc.missing", []string{ae.Message}
		case afas.FaultNotBase64:
			return "doc.not_base64", nil
		}
		return "doc.download_failed", []string{ae.Error()}
	}
	return "doc.download_failed", []string{err.Error()}
}

// Fatal tells a download failure that must stop the run rather than make one document Uitval:
// AFAS refusing the token or the service, and anything that is not AFAS's (a full disk).
func Fatal(err error) bool {
	var ae *afas.Error
	if !errors.As(err, &ae) {
		return true
	}
	switch ae.Kind {
	case afas.FaultInvalidToken, afas.FaultNotAuthorized, afas.FaultEndpoint, afas.FaultRedirect:
		return true
	}
	return false
}

// medicalWords are parts of a type's code or description that suggest medical content, which an
// employer may not keep (Wet AVG, the privacy rules of verzuim): the wizard warns before such a
// type is ticked.
var medicalWords = []string{"medisch", "medical", "arts", "diagnose", "diagnosis", "ziektebeeld", "behandel", "psych", "therap", "keuring"}

// Medical tells whether a dossier item type's code or description suggests medical content.
func Medical(code, description string) bool {
	s := strings.ToLower(code + " " + description)
	for _, w := range medicalWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// SizeText renders a number of bytes for people: bytes, kB or MB (1000-based, one decimal).
func SizeText(n int64) string {
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	if n < 1000_000 {
		return strconv.FormatFloat(float64(n)/1000, 'f', 1, 64) + " kB"
	}
	return strconv.FormatFloat(float64(n)/1000_000, 'f', 1, 64) + " MB"
}
