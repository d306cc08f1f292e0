package engine_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/documents"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
)

var docTypes = []string{"PVA", "ZMF", "AOK"}

func newDocEnv(t *testing.T, mode string) *env {
	e := newEnv(t, afassim.Options{Seed: 5, Employees: 80, Documents: true}, mode)
	p, err := e.store.Profile("acme")
	if err != nil {
		t.Fatal(err)
	}
	p.Couplings.Documenten = profile.Documenten{Enabled: true, Types: docTypes, MaxFileMB: 25}
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	return e
}

// simDoc is a dossier item row of the simulator, with its attachment.
type simDoc struct {
	id, medewerker, typ, name string
	att                       *afassim.Attachment
}

func simDocs(e *env) []simDoc {
	var out []simDoc
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables[afassim.DossierConnector]
		for _, row := range tb.Rows {
			subject, _ := strconv.ParseInt(row[tb.Col("Dossieritem")], 10, 64)
			file := row[tb.Col("Bijlage_id")]
			out = append(out, simDoc{id: row[tb.Col("Dossieritem")] + "-" + file, medewerker: row[tb.Col("Medewerker")],
				typ: row[tb.Col("Type_dossieritem")], name: row[tb.Col("Bestandsnaam")], att: d.Attachments[afassim.AttachmentKey(subject, file)]})
		}
	})
	return out
}

func contentSHA(t *testing.T, a *afassim.Attachment) string {
	h := sha256.New()
	if _, err := io.Copy(h, a.Content()); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// checkDocuments compares a delivery's documenten.csv, documenten/ and manifest with what the
// simulator holds and returns the DocumentIds delivered.
func checkDocuments(t *testing.T, e *env, folder string) []string {
	t.Helper()
	rows := readCSV(t, filepath.Join(folder, documents.File))
	if strings.Join(rows[0], ";") != strings.Join(documents.Columns(), ";") {
		t.Fatalf("header %q", rows[0])
	}
	byID := map[string]simDoc{}
	for _, d := range simDocs(e) {
		byID[d.id] = d
	}
	var ids []string
	manifest := map[string]delivery.File{}
	var m delivery.Manifest
	raw, _ := os.ReadFile(filepath.Join(folder, delivery.ManifestName))
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		manifest[f.Name] = f
	}
	if _, ok := manifest[documents.File]; !ok {
		t.Errorf("the manifest does not list %s", documents.File)
	}
	for _, r := range rows[1:] {
		id := r[documents.ColDocumentID]
		ids = append(ids, id)
		d, ok := byID[id]
		if !ok || d.att == nil {
			t.Errorf("%s delivered but not an attachment in AFAS", id)
			continue
		}
		if want := documents.FolderPath(id, d.name); r[documents.ColBestand] != want {
			t.Errorf("%s: Bestand %q, want %q", id, r[documents.ColBestand], want)
		}
		data, err := os.ReadFile(filepath.Join(folder, filepath.FromSlash(r[documents.ColBestand])))
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		sum := sha256.Sum256(data)
		sha := hex.EncodeToString(sum[:])
		if sha != r[documents.ColSHA256] || sha != contentSHA(t, d.att) || r[documents.ColGrootte] != strconv.Itoa(len(data)) {
			t.Errorf("%s: size %s sha %s; the file has %d bytes, sha %s", id, r[documents.ColGrootte], r[documents.ColSHA256], len(data), sha)
		}
		if f := manifest[r[documents.ColBestand]]; f.SHA256 != sha || f.Size != int64(len(data)) {
			t.Errorf("%s: manifest entry %+v, want size %d sha %s", id, f, len(data), sha)
		}
		if r[documents.ColType] != d.typ || r[documents.ColBestandsnaam] != d.name || r[documents.ColPersoneelsnummer] != d.medewerker {
			t.Errorf("%s: row %q does not match AFAS's item", id, r)
		}
	}
	// Nothing else in documenten/, and nothing at all outside the delivery folder.
	entries, _ := os.ReadDir(filepath.Join(folder, documents.Folder))
	if len(entries) != len(rows)-1 {
		t.Errorf("documenten/ holds %d files for %d rows", len(entries), len(rows)-1)
	}
	listed := 0
	for _, f := range m.Files {
		if strings.HasPrefix(f.Name, documents.Folder+"/") {
			listed++
		}
	}
	if listed != len(rows)-1 {
		t.Errorf("the manifest lists %d attachments, want %d", listed, len(rows)-1)
	}
	return ids
}

func TestDocumentsDeliveredOnceAndAgainWhenChanged(t *testing.T) {
	e := newDocEnv(t, profile.ModeCompleet)
	res, _ := e.run(engine.Options{})
	r := res.Run
	if r.Status != engine.StatusOK {
		t.Fatalf("status %s: %s", r.Status, r.Error)
	}
	// Who is delivered: the personnel numbers of medewerkers.csv.
	delivered := map[string]bool{}
	for _, row := range readCSV(t, filepath.Join(r.Delivery, "medewerkers.csv"))[1:] {
		delivered[row[1]] = true
	}
	var want, whitelisted []string
	uitval := map[string]string{}
	for _, d := range simDocs(e) {
		if !slices.Contains(docTypes, d.typ) {
			continue
		}
		whitelisted = append(whitelisted, d.id)
		if !delivered[d.medewerker] {
			continue
		}
		switch {
		case d.att == nil:
			uitval[d.id] = "doc.missing"
		case d.att.NotBase64:
			uitval[d.id] = "doc.not_base64"
		case d.att.Size > 25<<20:
			uitval[d.id] = "doc.too_large"
		default:
			want = append(want, d.id)
		}
	}
	if len(uitval) != 3 {
		t.Fatalf("the simulator's special cases are not all of delivered employees: %v", uitval)
	}
	got := checkDocuments(t, e, r.Delivery)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) || len(want) < 10 {
		t.Errorf("delivered %d documents %v\nwant %d %v", len(got), got, len(want), want)
	}
	c := r.Entities[documents.Entity]
	var bytes int64
	for _, row := range readCSV(t, filepath.Join(r.Delivery, documents.File))[1:] {
		n, _ := strconv.ParseInt(row[documents.ColGrootte], 10, 64)
		bytes += n
	}
	if c == nil || c.Delivered != len(want) || c.New != len(want) || c.Rejected != 3 || c.Bytes != bytes || bytes < afassim.LargeAttachment {
		t.Errorf("counts %+v, want %d delivered and new, 3 rejected, %d bytes", c, len(want), bytes)
	}
	// Types outside the whitelist are never requested: what was read is the whitelisted rows.
	if c.Fetched != len(whitelisted) {
		t.Errorf("fetched %d rows, want only the %d of the whitelisted types", c.Fetched, len(whitelisted))
	}
	for id, code := range uitval {
		if !hasLog(res.Logs, runlog.Uitval, id, code) {
			t.Errorf("no Uitval %s for %s", code, id)
		}
	}
	var notDelivered int
	for _, l := range res.Logs {
		if l.Code == "doc.not_delivered" && l.Level == runlog.Melding {
			notDelivered++
		}
	}
	if notDelivered == 0 {
		t.Error("no Melding for the documents of employees who are not delivered")
	}
	outsideDelivery(t, e.outbox, r.Delivery)

	// Second run, nothing changed: nothing is downloaded but the three that failed, nothing sent.
	calls := e.sim.AttachmentCalls()
	res2, _ := e.run(engine.Options{})
	c2 := res2.Run.Entities[documents.Entity]
	if n := e.sim.AttachmentCalls() - calls; n != 3 {
		t.Errorf("second run made %d GetAttachment calls, want 3 (the Uitval ones only)", n)
	}
	if c2.Delivered != 0 || c2.Unchanged != len(want) || c2.Bytes != 0 || len(checkDocuments(t, e, res2.Run.Delivery)) != 0 {
		t.Errorf("second run: %+v, want nothing delivered and %d unchanged", c2, len(want))
	}

	// One document changes in AFAS; another is only touched (same bytes, new Gewijzigd_op).
	var big []string // documents with content, so a new seed changes their bytes
	for _, id := range want {
		for _, d := range simDocs(e) {
			if d.id == id && d.att.Size > 100 {
				big = append(big, id)
			}
		}
	}
	changed, touched := big[0], big[1]
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables[afassim.DossierConnector]
		for _, row := range tb.Rows {
			id := row[tb.Col("Dossieritem")] + "-" + row[tb.Col("Bijlage_id")]
			if id == changed || id == touched {
				row[tb.Col("Gewijzigd_op")] = "2026-11-02T08:00:00"
			}
			if id == changed {
				subject, _ := strconv.ParseInt(row[tb.Col("Dossieritem")], 10, 64)
				a := d.Attachments[afassim.AttachmentKey(subject, row[tb.Col("Bijlage_id")])]
				a.Seed += 1000
			}
		}
	})
	calls = e.sim.AttachmentCalls()
	res3, _ := e.run(engine.Options{})
	c3 := res3.Run.Entities[documents.Entity]
	if n := e.sim.AttachmentCalls() - calls; n != 3+2 {
		t.Errorf("third run made %d GetAttachment calls, want 5 (3 Uitval, the changed and the touched one)", n)
	}
	if ids := checkDocuments(t, e, res3.Run.Delivery); !slices.Equal(ids, []string{changed}) || c3.Changed != 1 || c3.Delivered != 1 {
		t.Errorf("third run delivered %v (%+v), want only %s again", ids, c3, changed)
	}
	calls = e.sim.AttachmentCalls()
	res4, _ := e.run(engine.Options{})
	if n := e.sim.AttachmentCalls() - calls; n != 3 || res4.Run.Entities[documents.Entity].Delivered != 0 {
		t.Errorf("fourth run made %d calls and delivered %d; the touched document must not be fetched again", n, res4.Run.Entities[documents.Entity].Delivered)
	}
}

func TestRemovedDocumentIsVerwijderdInMutaties(t *testing.T) {
	e := newDocEnv(t, profile.ModeMutaties)
	res, _ := e.run(engine.Options{})
	ids := checkDocumentsMut(t, res.Run.Delivery)
	gone := ids[len(ids)-1]
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables[afassim.DossierConnector]
		tb.Rows = slices.DeleteFunc(tb.Rows, func(row []string) bool {
			return row[tb.Col("Dossieritem")]+"-"+row[tb.Col("Bijlage_id")] == gone
		})
	})
	res2, _ := e.run(engine.Options{})
	rows := readCSV(t, filepath.Join(res2.Run.Delivery, documents.File))
	if len(rows) != 2 || rows[1][0] != engine.Verwijderd || rows[1][1+documents.ColDocumentID] != gone || rows[1][1+documents.ColBestand] != "" {
		t.Errorf("mutaties after a removal: %q, want one Verwijderd row for %s without a file", rows, gone)
	}
	if _, err := os.Stat(filepath.Join(res2.Run.Delivery, documents.Folder)); err == nil {
		t.Error("a delivery without new documents has a documenten folder")
	}
	if c := res2.Run.Entities[documents.Entity]; c.Deleted != 1 {
		t.Errorf("counts %+v, want 1 deleted", c)
	}
}

func checkDocumentsMut(t *testing.T, folder string) []string {
	rows := readCSV(t, filepath.Join(folder, documents.File))
	if rows[0][0] != "Mutatie" {
		t.Fatalf("header %q", rows[0])
	}
	var ids []string
	for _, r := range rows[1:] {
		if r[0] != engine.Nieuw {
			t.Errorf("first run: %q", r)
		}
		ids = append(ids, r[1+documents.ColDocumentID])
	}
	return ids
}

func TestDocumentsDryRunDownloadsNothing(t *testing.T) {
	e := newDocEnv(t, profile.ModeCompleet)
	res, _ := e.run(engine.Options{DryRun: true})
	if n := e.sim.AttachmentCalls(); n != 0 || res.Run.Entities[documents.Entity].New == 0 {
		t.Errorf("a preview made %d GetAttachment calls (counts %+v)", n, res.Run.Entities[documents.Entity])
	}
	entries, _ := os.ReadDir(filepath.Join(e.outbox, "acme"))
	if len(entries) != 0 {
		t.Errorf("a preview left %d entries in the outbox", len(entries))
	}
}

func TestDocumentsOnlyRunDeliversNoEmployeeFiles(t *testing.T) {
	e := newDocEnv(t, profile.ModeCompleet)
	res, _ := e.run(engine.Options{Couplings: []string{profile.CouplingDocumenten}})
	entries, _ := os.ReadDir(res.Run.Delivery)
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	if !slices.Equal(names, []string{documents.Folder, documents.File, delivery.ManifestName}) {
		t.Errorf("a documenten-only delivery holds %v", names)
	}
	if res.Run.Entities[documents.Entity].Delivered < 10 {
		t.Errorf("counts %+v", res.Run.Entities[documents.Entity])
	}
}

func hasLog(logs []runlog.Log, level runlog.Level, key, code string) bool {
	for _, l := range logs {
		if l.Level == level && l.Key == key && l.Code == code {
			return true
		}
	}
	return false
}

// outsideDelivery fails when the outbox holds a file outside the run's delivery folder: an
// attachment's name never leads out of it.
func outsideDelivery(t *testing.T, outbox, folder string) {
	t.Helper()
	_ = filepath.WalkDir(outbox, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(path, folder+string(filepath.Separator)) {
			t.Errorf("a file outside the delivery: %s", path)
		}
		return nil
	})
}

func TestDocumentsUnderTheDeletionGuard(t *testing.T) {
	e := newDocEnv(t, profile.ModeMutaties)
	res, _ := e.run(engine.Options{})
	ids := checkDocumentsMut(t, res.Run.Delivery)
	drop := ids[:len(ids)/4] // far above the 10 % the guard allows
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables[afassim.DossierConnector]
		tb.Rows = slices.DeleteFunc(tb.Rows, func(row []string) bool {
			return slices.Contains(drop, row[tb.Col("Dossieritem")]+"-"+row[tb.Col("Bijlage_id")])
		})
	})
	res2, _ := e.run(engine.Options{})
	if res2.Run.Status != engine.StatusBlocked || len(res2.Run.Blocked) != 1 || res2.Run.Blocked[0].Entity != documents.Entity {
		t.Fatalf("status %s blocked %+v, want the guard on documents", res2.Run.Status, res2.Run.Blocked)
	}
	entries, _ := os.ReadDir(filepath.Join(e.outbox, "acme"))
	if len(entries) != 1 {
		t.Errorf("a blocked run left %d entries in the outbox, want the first delivery only", len(entries))
	}
	res3, _ := e.run(engine.Options{AllowDeletes: true})
	if c := res3.Run.Entities[documents.Entity]; res3.Run.Status != engine.StatusOK || c.Deleted != len(drop) {
		t.Errorf("with --allow-deletes: %s %+v, want %d deleted", res3.Run.Status, c, len(drop))
	}
}

// explain reads an employee's dossier items of the whitelisted types only.
func TestExplainReadsOnlyWhitelistedDossierItems(t *testing.T) {
	e := newDocEnv(t, profile.ModeCompleet)
	var nr string
	for _, d := range simDocs(e) {
		if d.typ == "MED" && d.medewerker != "99999" {
			nr = d.medewerker
		}
	}
	x, err := e.eng.Explain(t.Context(), "acme", nr, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rr := range x.Read {
		for _, row := range rr.Rows {
			if typ, ok := row["Type_dossieritem"]; ok && !slices.Contains(docTypes, typ) {
				t.Errorf("explain read a dossier item of type %s", typ)
			}
		}
	}
}
