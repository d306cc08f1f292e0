package delivery

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestFolderIsInvisibleUntilPublished(t *testing.T) {
	outbox := t.TempDir()
	f, err := Create(outbox, "acme", "run1")
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]string{{"a;b", `zeg "hoi"`, "twee\nregels"}, {"", "é", "x"}}
	err = f.WriteCSV("test.csv", []string{"A", "B", "C"}, func(emit func([]string) error) error {
		for _, r := range rows {
			if err := emit(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Seal(Manifest{Profile: "acme", Run: "run1", Mode: "compleet"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.Final); !os.IsNotExist(err) {
		t.Fatalf("final folder visible before publish")
	}
	if !strings.HasPrefix(filepath.Base(f.Temp), ".") {
		t.Errorf("temporary folder %s is not hidden", f.Temp)
	}
	if err := Publish(f.Temp, f.Final); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(f.Final, "test.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(raw), "A;B;C\r\n") || !strings.Contains(string(raw), `"a;b";"zeg ""hoi""";"twee`) {
		t.Errorf("not RFC 4180 with ';':\n%q", raw)
	}
	r := csv.NewReader(strings.NewReader(string(raw)))
	r.Comma = ';'
	got, err := r.ReadAll()
	if err != nil || len(got) != 3 || got[1][2] != "twee\nregels" || got[2][1] != "é" {
		t.Errorf("read back %q, %v", got, err)
	}
	var m Manifest
	data, _ := os.ReadFile(filepath.Join(f.Final, ManifestName))
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if len(m.Files) != 1 || m.Files[0].Rows != 2 || m.Files[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("manifest %+v", m.Files)
	}
}

func TestCleanLeftovers(t *testing.T) {
	outbox := t.TempDir()
	dir := Dir(outbox, "acme")
	for _, name := range []string{".a.tmp", ".b.tmp", "20260101-000000-aaaa", ".keep-me"} {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := CleanLeftovers(outbox, "acme", filepath.Join(dir, ".b.tmp"))
	if err != nil || len(removed) != 1 || removed[0] != ".a.tmp" {
		t.Errorf("removed %v, %v", removed, err)
	}
	for _, keep := range []string{".b.tmp", "20260101-000000-aaaa", ".keep-me"} {
		if _, err := os.Stat(filepath.Join(dir, keep)); err != nil {
			t.Errorf("%s removed", keep)
		}
	}
}

// The outbox holds BSNs and salaries: what koppel creates there is its account's only.
func TestDeliveryIsPrivate(t *testing.T) {
	outbox := filepath.Join(t.TempDir(), "outbox")
	f, err := Create(outbox, "acme", "run1")
	if err != nil {
		t.Fatal(err)
	}
	err = f.WriteCSV("medewerkers.csv", []string{"BSN"}, func(emit func([]string) error) error { return emit([]string{"123456782"}) })
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Seal(Manifest{Profile: "acme", Run: "run1"}); err != nil {
		t.Fatal(err)
	}
	if err := Publish(f.Temp, f.Final); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		outbox:              0o700,
		Dir(outbox, "acme"): 0o700,
		f.Final:             0o700,
		filepath.Join(f.Final, "medewerkers.csv"): 0o600,
		filepath.Join(f.Final, ManifestName):      0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
	}
}

// Files reach the manifest in the order given, whatever order they were written in (side by
// side, as they finish), an attachment right after the file it came with.
func TestManifestListsFilesInTheGivenOrder(t *testing.T) {
	f, err := Create(t.TempDir(), "acme", "run1")
	if err != nil {
		t.Fatal(err)
	}
	none := func(func([]string) error) error { return nil }
	for _, name := range []string{"verzuim.csv", "documenten.csv"} {
		if err := f.WriteCSV(name, []string{"A"}, none); err != nil {
			t.Fatal(err)
		}
	}
	f.AddFiles([]File{{Name: "documenten/b.pdf"}, {Name: "documenten/a.pdf"}})
	var wg sync.WaitGroup
	for _, name := range []string{"medewerkers.csv", "afdelingen.csv"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.WriteCSV(name, []string{"A"}, none); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	f.SortFiles([]string{"afdelingen.csv", "medewerkers.csv", "documenten.csv", "verzuim.csv"})
	if err := f.Seal(Manifest{Profile: "acme", Run: "run1"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(f.Temp, ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, file := range m.Files {
		got = append(got, file.Name)
	}
	want := []string{"afdelingen.csv", "medewerkers.csv", "documenten.csv", "documenten/b.pdf", "documenten/a.pdf", "verzuim.csv"}
	if !slices.Equal(got, want) {
		t.Errorf("manifest files %v, want %v", got, want)
	}
}

// Rows written in parts and joined are the file WriteCSV writes with the same rows, and the
// manifest counts and sums them the same; the parts leave nothing behind.
func TestPartsJoinIntoTheFile(t *testing.T) {
	rows := [][]string{{"1", "a;b"}, {"2", "c"}, {"3", "d\"e"}, {"4", ""}, {"5", "f"}}
	whole, err := Create(t.TempDir(), "acme", "run1")
	if err != nil {
		t.Fatal(err)
	}
	if err := whole.WriteCSV("x.csv", []string{"N", "V"}, func(emit func([]string) error) error {
		for _, r := range rows {
			if err := emit(r); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	f, err := Create(t.TempDir(), "acme", "run1")
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.Open("x.csv", []string{"N", "V"})
	if err != nil {
		t.Fatal(err)
	}
	// Rows 3 and 4 in one part, 1 and 2 in another, 5 written into the file after both.
	var parts []*Part
	for _, rs := range [][][]string{rows[2:4], rows[0:2]} {
		p, err := f.OpenPart()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			for _, v := range r {
				p.Line().FieldString(v)
			}
			if err := p.Line().End(); err != nil {
				t.Fatal(err)
			}
		}
		parts = append(parts, p)
	}
	for _, p := range []*Part{parts[1], parts[0]} {
		if err := w.Join(p); err != nil {
			t.Fatal(err)
		}
	}
	w.Line().FieldString("5")
	w.Line().FieldString("f")
	if err := w.Line().End(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(whole.Temp, "x.csv"))
	b, _ := os.ReadFile(filepath.Join(f.Temp, "x.csv"))
	if string(a) != string(b) {
		t.Errorf("joined file\n%q\nwant\n%q", b, a)
	}
	if !slices.Equal(whole.files, f.files) {
		t.Errorf("manifest entry %+v, want %+v", f.files, whole.files)
	}
	if left, _ := os.ReadDir(f.Temp); len(left) != 1 {
		t.Errorf("the folder holds %d entries, want the file only", len(left))
	}
}

// A file written through writeback holds what was written, and the writer keeps its place.
func TestWritebackWritesThrough(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := &writeback{f: f}
	var want []byte
	for i := range 3 {
		part := bytes.Repeat([]byte{byte('a' + i)}, 70_000+i)
		if n, err := w.Write(part); err != nil || n != len(part) {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
		want = append(want, part...)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil || !bytes.Equal(got, want) || w.off != int64(len(want)) {
		t.Errorf("file of %d bytes (%v), offset %d; want %d bytes", len(got), err, w.off, len(want))
	}
}
