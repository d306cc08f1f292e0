// Package delivery writes Xpert Suite import files into the outbox: one folder per run, written
// under a hidden temporary name and renamed when complete, so a folder with its final name is
// always complete. The files hold personal data (BSNs, salaries): folders are created 0700 and
// files 0600, for the account koppel runs under only.
package delivery

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Manifest describes a delivery folder.
type Manifest struct {
	Profile   string    `json:"profile"`
	Run       string    `json:"run"`
	Couplings []string  `json:"couplings"`
	Mode      string    `json:"mode"`
	DateFrom  string    `json:"date_from"`
	Created   time.Time `json:"created"`
	Files     []File    `json:"files"`
}

// File is one delivered file in the manifest.
type File struct {
	Name   string `json:"name"`
	Rows   int    `json:"rows"`
	SHA256 string `json:"sha256"`
	// Size is set for an attachment (documenten/…), a file without rows.
	Size int64 `json:"size,omitempty"`
}

// ManifestName is the manifest's file name.
const ManifestName = "manifest.json"

const tempSuffix = ".tmp"

// Folder is a delivery being written. Its files may be written side by side.
type Folder struct {
	Temp, Final string
	mu          sync.Mutex
	files       []File
}

// Dir is the folder that holds a profile's deliveries.
func Dir(outbox, profile string) string { return filepath.Join(outbox, profile) }

// TempName is the hidden name a run's folder is written under.
func TempName(outbox, profile, run string) string {
	return filepath.Join(Dir(outbox, profile), "."+run+tempSuffix)
}

// Create starts a delivery folder for a run.
func Create(outbox, profile, run string) (*Folder, error) {
	f := &Folder{Temp: TempName(outbox, profile, run), Final: filepath.Join(Dir(outbox, profile), run)}
	if err := os.MkdirAll(Dir(outbox, profile), 0o700); err != nil {
		return nil, fmt.Errorf("create outbox folder: %w", err)
	}
	if _, err := os.Stat(f.Final); err == nil {
		return nil, fmt.Errorf("delivery folder %s already exists", f.Final)
	}
	if err := os.Mkdir(f.Temp, 0o700); err != nil {
		return nil, fmt.Errorf("create delivery folder: %w", err)
	}
	return f, nil
}

// WriteCSV writes one file: a header, then every row rows yields. Separator ';', RFC 4180 quoting,
// CRLF line ends, UTF-8.
func (f *Folder) WriteCSV(name string, header []string, rows func(emit func([]string) error) error) error {
	return f.WriteRows(name, header, func(l *Line) error {
		return rows(func(r []string) error {
			for _, v := range r {
				l.FieldString(v)
			}
			return l.End()
		})
	})
}

// WriteRows writes one file as WriteCSV does, the rows given field by field through l (each
// ended with l.End).
func (f *Folder) WriteRows(name string, header []string, rows func(l *Line) error) error {
	w, err := f.Open(name, header)
	if err != nil {
		return err
	}
	if err := rows(w.Line()); err != nil {
		w.Abort()
		return fmt.Errorf("write %s row %d: %w", name, w.line.rows, err)
	}
	return w.Close()
}

// RowFile is one file of the folder being written row by row, for a writer that has its rows
// a batch at a time (a run writing a file while it compares). Close lists it in the manifest;
// Abort removes it.
type RowFile struct {
	f    *Folder
	name string
	file *os.File
	out  *writeback // file, written to disk as it goes
	sum  hash.Hash
	line *Line
}

// Open creates a file of the folder and writes its header.
func (f *Folder) Open(name string, header []string) (*RowFile, error) {
	file, err := os.OpenFile(filepath.Join(f.Temp, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	w := &RowFile{f: f, name: name, file: file, out: &writeback{f: file}, sum: sha256.New()}
	w.line = newLine(w.out, w.sum)
	for _, v := range header {
		w.line.FieldString(v)
	}
	if err := w.line.End(); err != nil {
		w.Abort()
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	w.line.rows = 0
	return w, nil
}

// Line is where the rows are written, field by field, each ended with End.
func (w *RowFile) Line() *Line { return w.line }

// writeback writes to a file and has the system start writing each part to disk at once.
type writeback struct {
	f   *os.File
	off int64
}

func (w *writeback) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if n > 0 {
		startWriteback(w.f, w.off, int64(n))
		w.off += int64(n)
	}
	return n, err
}

// Close writes what is buffered, syncs the file and lists it in the manifest.
func (w *RowFile) Close() error {
	defer w.file.Close()
	w.line.flush()
	if err := w.line.err; err != nil {
		return fmt.Errorf("write %s: %w", w.name, err)
	}
	if err := w.file.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", w.name, err)
	}
	w.f.AddFiles([]File{{Name: w.name, Rows: w.line.rows, SHA256: hex.EncodeToString(w.sum.Sum(nil))}})
	return w.file.Close()
}

// Abort closes and removes the file: it is not delivered (another writer may write it anew).
func (w *RowFile) Abort() {
	_ = w.file.Close()
	_ = os.Remove(w.file.Name())
}

// Part is rows written apart, into a temporary file of the folder, for Join to add to a file:
// a writer whose rows come in several runs, each in order, writes each run into a part and
// joins the parts in the order of the file.
type Part struct {
	file *os.File
	line *Line
}

// OpenPart creates a part.
func (f *Folder) OpenPart() (*Part, error) {
	file, err := os.CreateTemp(f.Temp, ".part-*")
	if err != nil {
		return nil, fmt.Errorf("write part: %w", err)
	}
	return &Part{file: file, line: newLine(file, nil)}, nil
}

// Line is where the part's rows are written, as a RowFile's.
func (p *Part) Line() *Line { return p.line }

// Abort closes and removes the part.
func (p *Part) Abort() {
	_ = p.file.Close()
	_ = os.Remove(p.file.Name())
}

// Join adds a part's rows to the file after the rows written so far, and removes the part.
func (w *RowFile) Join(p *Part) error {
	defer p.Abort()
	p.line.flush()
	if err := p.line.err; err != nil {
		return fmt.Errorf("write %s: %w", w.name, err)
	}
	w.line.flush()
	if w.line.err != nil {
		return fmt.Errorf("write %s: %w", w.name, w.line.err)
	}
	if _, err := p.file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("write %s: %w", w.name, err)
	}
	if _, err := io.Copy(io.MultiWriter(w.out, w.sum), p.file); err != nil {
		w.line.err = err
		return fmt.Errorf("write %s: %w", w.name, err)
	}
	w.line.rows += p.line.rows
	return nil
}

// AddFiles lists files written into the folder otherwise (the attachments) in the manifest.
func (f *Folder) AddFiles(files []File) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files = append(f.files, files...)
}

// SortFiles puts the manifest's files in the order of names, whatever order they were written
// in: a file not named (an attachment) stays right after the file before it.
func (f *Folder) SortFiles(names []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rank := make([]int, len(f.files))
	for i, file := range f.files {
		switch r := slices.Index(names, file.Name); {
		case r >= 0:
			rank[i] = r
		case i > 0:
			rank[i] = rank[i-1]
		default:
			rank[i] = -1
		}
	}
	idx := make([]int, len(f.files))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return rank[a] - rank[b] })
	sorted := make([]File, len(f.files))
	for i, j := range idx {
		sorted[i] = f.files[j]
	}
	f.files = sorted
}

// Seal writes the manifest and flushes the folder to disk. After Seal the folder only needs its
// rename.
func (f *Folder) Seal(m Manifest) error {
	f.mu.Lock()
	m.Files = slices.Clone(f.files)
	f.mu.Unlock()
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(f.Temp, ManifestName)
	if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := syncPath(path); err != nil {
		return err
	}
	return syncPath(f.Temp)
}

// Publish renames the folder to its final name.
func Publish(temp, final string) error {
	if err := os.Rename(temp, final); err != nil {
		return fmt.Errorf("publish delivery: %w", err)
	}
	return syncPath(filepath.Dir(final))
}

// Discard removes an unfinished folder.
func (f *Folder) Discard() { _ = os.RemoveAll(f.Temp) }

// CleanLeftovers removes hidden temporary folders of interrupted runs, except keep.
func CleanLeftovers(outbox, profile, keep string) ([]string, error) {
	dir := Dir(outbox, profile)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		if !e.IsDir() || !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, tempSuffix) || path == keep {
			continue
		}
		if err := os.RemoveAll(path); err != nil {
			return removed, fmt.Errorf("clean up %s: %w", path, err)
		}
		removed = append(removed, name)
	}
	return removed, nil
}

func syncPath(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}
