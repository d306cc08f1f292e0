package documents

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/values"
)

func TestSafeName(t *testing.T) {
	long := strings.Repeat("abcdefghij", 18) // 180 characters
	tests := []struct{ in, want string }{
		{"plan.pdf", "plan.pdf"},
		{"Plan van aanpak.pdf", "Plan_van_aanpak.pdf"},
		{"../../etc/passwd", "_._.._etc_passwd"},
		{`map\sub/plan.pdf`, "map_sub_plan.pdf"},
		{".verborgen", "_verborgen"},
		{"..", "_."},
		{"één – café.pdf", "__n___caf_.pdf"},
		{long, long[:100]},
		{"", "bestand"},
		{"a-b_c.D9", "a-b_c.D9"},
		{"/", "_"},
		{"\x00nul", "_nul"},
		{strings.Repeat("é", 120), strings.Repeat("_", 100)},
	}
	for _, tt := range tests {
		if got := SafeName(tt.in); got != tt.want {
			t.Errorf("SafeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Whatever AFAS calls a file, its path stays a plain file directly inside documenten/.
func TestPathCannotLeaveTheFolder(t *testing.T) {
	names := []string{"../../etc/passwd", "..", ".", "../", "/etc/passwd", `..\..\windows`, "a/../../b", "\x00", "~/x", "C:\\x", ".." + strings.Repeat("/..", 60)}
	for _, n := range names {
		it := Item{Dossieritem: 7, BijlageID: "AB-12", Bestandsnaam: n}
		p := Path(it)
		dir, file := path.Split(p)
		if dir != Folder+"/" || file == "" || file == "." || file == ".." || strings.ContainsAny(file, `/\`) || filepath.Clean(p) != p || strings.HasPrefix(file, ".") {
			t.Errorf("Path for %q = %q: not a plain file inside %s/", n, p, Folder)
		}
		if !strings.HasPrefix(file, "7-AB-12-") {
			t.Errorf("Path for %q = %q: want documenten/<DocumentId>-<safe name>", n, p)
		}
	}
}

func TestJudge(t *testing.T) {
	delivered := func(nr string) bool { return nr == "1001" }
	ok := Item{Dossieritem: 12, BijlageID: "8F2A-00B1", Medewerker: "1001", Type: "PVA"}
	with := func(f func(*Item)) Item { it := ok; f(&it); return it }
	tests := []struct {
		name string
		it   Item
		want Verdict
	}{
		{"whitelisted, delivered", ok, Take},
		{"type not whitelisted", with(func(i *Item) { i.Type = "MED" }), SkipType},
		{"type case differs", with(func(i *Item) { i.Type = "pva" }), SkipType},
		{"employee not delivered", with(func(i *Item) { i.Medewerker = "2002" }), SkipEmployee},
		{"type checked before employee", with(func(i *Item) { i.Type = "MED"; i.Medewerker = "2002" }), SkipType},
		{"bad value", with(func(i *Item) { i.Errs = []values.FieldError{{Field: "Datum"}} }), RejectField},
		{"attachment id with a separator", with(func(i *Item) { i.BijlageID = "../x" }), RejectID},
		{"attachment id with a dot", with(func(i *Item) { i.BijlageID = "a.b" }), RejectID},
		{"empty attachment id", with(func(i *Item) { i.BijlageID = "" }), RejectID},
		{"attachment id of 64", with(func(i *Item) { i.BijlageID = strings.Repeat("A", 64) }), Take},
		{"attachment id of 65", with(func(i *Item) { i.BijlageID = strings.Repeat("A", 65) }), RejectID},
		{"subject zero", with(func(i *Item) { i.Dossieritem = 0 }), RejectSubject},
		{"subject one", with(func(i *Item) { i.Dossieritem = 1 }), Take},
		{"subject above int32", with(func(i *Item) { i.Dossieritem = 1 << 31 }), RejectSubject},
		{"subject at int32 max", with(func(i *Item) { i.Dossieritem = 1<<31 - 1 }), Take},
	}
	for _, tt := range tests {
		if got := Judge(tt.it, []string{"PVA", "ZMF"}, delivered); got != tt.want {
			t.Errorf("%s: Judge = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestIDAndRow(t *testing.T) {
	it := Item{Dossieritem: 1204, BijlageID: "8F2A", Medewerker: "1001", Type: "PVA", TypeOmschrijving: "Plan van aanpak",
		Datum: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), Bestandsnaam: "../plan.pdf", GewijzigdOp: time.Date(2026, 3, 5, 10, 11, 12, 0, time.UTC)}
	if ID(it) != "1204-8F2A" {
		t.Errorf("ID = %q", ID(it))
	}
	row := Row(it, "P1001", "ZBV", 1234, "ab12")
	want := []string{"ZBV", "P1001", "1204-8F2A", "PVA", "Plan van aanpak", "2026-03-04", "../plan.pdf", "documenten/1204-8F2A-_._plan.pdf", "1234", "ab12", "2026-03-05T10:11:12"}
	if !slices.Equal(row, want) {
		t.Errorf("Row =\n%q\nwant\n%q", row, want)
	}
	if len(Columns()) != len(row)-1 || Columns()[ColSHA256] != "SHA256" || Columns()[ColBestand] != "Bestand" || Columns()[ColGrootte] != "Grootte" {
		t.Errorf("Columns %q do not line up with the row", Columns())
	}
	if r := Row(Item{Dossieritem: 1, BijlageID: "A"}, "", "", 0, ""); r[ColDatum] != "" || r[colGewijzigd] != "" {
		t.Errorf("empty dates render as %q, %q", r[ColDatum], r[colGewijzigd])
	}
	gone := Removed(row)
	if gone[ColBestand] != "" || gone[ColDocumentID] != "1204-8F2A" || row[ColBestand] == "" {
		t.Errorf("Removed = %q; want the row without its file, the original untouched", gone)
	}
	if got := Removed([]string{"a"}); !slices.Equal(got, []string{"a"}) {
		t.Errorf("Removed of a short row = %q", got)
	}
	short := []string{"0", "1", "2", "3", "4", "5", "6"} // up to the column before Bestand
	if got := Removed(short); !slices.Equal(got, short) {
		t.Errorf("Removed of a row without Bestand = %q", got)
	}
}

func TestUnchangedByGewijzigdOp(t *testing.T) {
	it := Item{Dossieritem: 1, BijlageID: "A", GewijzigdOp: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	old := Row(it, "1", "ZBV", 10, "aa")
	later := it
	later.GewijzigdOp = later.GewijzigdOp.Add(time.Second)
	tests := []struct {
		name string
		old  []string
		it   Item
		want bool
	}{
		{"never delivered", nil, it, false},
		{"same Gewijzigd_op", old, it, true},
		{"modified a second later", old, later, false},
		{"a state of another shape", old[:len(old)-1], it, false},
	}
	for _, tt := range tests {
		if got := Unchanged(tt.old, tt.it); got != tt.want {
			t.Errorf("%s: Unchanged = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCompareByContent(t *testing.T) {
	old := Row(Item{Dossieritem: 1, BijlageID: "A"}, "1", "ZBV", 10, "aa")
	tests := []struct {
		name string
		old  []string
		sha  string
		want Outcome
	}{
		{"never delivered", nil, "aa", New},
		{"same bytes", old, "aa", SameContent},
		{"other bytes", old, "bb", Changed},
		{"a state of another shape", old[:3], "aa", Changed},
	}
	for _, tt := range tests {
		if got := Compare(tt.old, tt.sha); got != tt.want {
			t.Errorf("%s: Compare = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestFailure(t *testing.T) {
	tests := []struct {
		err   error
		code  string
		fatal bool
	}{
		{&afas.Error{Kind: afas.FaultFileTooLarge}, "doc.too_large", false},
		{&afas.Error{Kind: afas.FaultAttachmentMissing, Message: "bestaat niet"}, "doc.missing", false},
		{&afas.Error{Kind: afas.FaultNotBase64}, "doc.not_base64", false},
		{fmt.Errorf("gave up: %w", &afas.Error{Kind: afas.FaultTransport}), "doc.download_failed", false},
		{&afas.Error{Kind: afas.FaultOther, Message: "Out of memory"}, "doc.download_failed", false},
		{&afas.Error{Kind: afas.FaultInvalidToken}, "doc.download_failed", true},
		{&afas.Error{Kind: afas.FaultNotAuthorized}, "doc.download_failed", true},
		{&afas.Error{Kind: afas.FaultEndpoint}, "doc.download_failed", true},
		{&afas.Error{Kind: afas.FaultRedirect}, "doc.download_failed", true},
		{errors.New("no space left on device"), "doc.download_failed", true},
	}
	for _, tt := range tests {
		code, args := Failure(tt.err, 25)
		if code != tt.code || Fatal(tt.err) != tt.fatal {
			t.Errorf("%v: %s (fatal %v), want %s (fatal %v)", tt.err, code, Fatal(tt.err), tt.code, tt.fatal)
		}
		if code == "doc.too_large" && (len(args) != 1 || args[0] != "25") {
			t.Errorf("too large names the cap: %q", args)
		}
		if code == "doc.missing" && (len(args) != 1 || args[0] != "bestaat niet") {
			t.Errorf("missing carries AFAS's text: %q", args)
		}
		if code == "doc.download_failed" && len(args) != 1 {
			t.Errorf("a failed download carries the error: %q", args)
		}
	}
}

func TestMedical(t *testing.T) {
	tests := []struct {
		code, desc string
		want       bool
	}{
		{"MED", "Medische informatie bedrijfsarts", true},
		{"BA", "Verslag bedrijfsarts", true},
		{"DIA", "Diagnose", true},
		{"X", "Medical report", true},
		{"PSY", "Psychologisch rapport", true},
		{"PVA", "Plan van aanpak", false},
		{"AOK", "Arbeidsovereenkomst", false},
		{"ZMF", "Ziekmeldingsformulier", false},
		{"medisch", "", true},
	}
	for _, tt := range tests {
		if got := Medical(tt.code, tt.desc); got != tt.want {
			t.Errorf("Medical(%q, %q) = %v, want %v", tt.code, tt.desc, got, tt.want)
		}
	}
}

func TestSizeText(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1500: "1.5 kB", 999_999: "1000.0 kB", 1000_000: "1.0 MB", 26 << 20: "27.3 MB"} {
		if got := SizeText(n); got != want {
			t.Errorf("SizeText(%d) = %q, want %q", n, got, want)
		}
	}
}

// The kept characters end exactly at their ranges' bounds.
func TestSafeNameBounds(t *testing.T) {
	if got := SafeName("azAZ09.-_"); got != "azAZ09.-_" {
		t.Errorf("the bounds themselves: %q", got)
	}
	if got := SafeName("x`{@[/:"); got != "x______" {
		t.Errorf("just outside the bounds: %q", got)
	}
}
