package delivery

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The files are byte for byte what encoding/csv (';', CRLF) writes: every quoting rule, for
// fields as strings and as bytes.
func TestLineWritesAsEncodingCSV(t *testing.T) {
	edge := []string{
		"", "plain", "a;b", `zeg "hoi"`, "twee\nregels", "cr\rin", "crlf\r\nin", `\.`, `\.x`, `x\.`, `\`, ".",
		" lead", "\tlead", "trail ", "\u00a0nbsp", "\u0085nel", "\u2003em", "\u3000ideo", "é", "\xff\xfe", "\xe2\x80",
		`"`, `""`, ";", "\n", "\r", "\r\n", "a\"b;c\nd\re", "\v", "\f", "x\u00a0",
	}
	r := rand.New(rand.NewPCG(7, 8))
	alphabet := []string{"a", "Z", "0", " ", ";", `"`, "\n", "\r", "\\", ".", "é", "\u00a0", "\xff", "\t", ","}
	var rows [][]string
	for i := range edge {
		rows = append(rows, []string{edge[i]}, []string{edge[i], edge[(i+1)%len(edge)], edge[(i+7)%len(edge)]})
	}
	for i := 0; i < 3000; i++ {
		row := make([]string, 1+r.IntN(5))
		for j := range row {
			var sb strings.Builder
			for k := r.IntN(6); k > 0; k-- {
				sb.WriteString(alphabet[r.IntN(len(alphabet))])
			}
			row[j] = sb.String()
		}
		rows = append(rows, row)
	}
	var want bytes.Buffer
	w := csv.NewWriter(&want)
	w.Comma = ';'
	w.UseCRLF = true
	if err := w.WriteAll(append([][]string{{"H1", "H 2"}}, rows...)); err != nil {
		t.Fatal(err)
	}
	for _, asBytes := range []bool{false, true} {
		f, err := Create(t.TempDir(), "acme", "run1")
		if err != nil {
			t.Fatal(err)
		}
		err = f.WriteRows("x.csv", []string{"H1", "H 2"}, func(l *Line) error {
			for _, row := range rows {
				for _, v := range row {
					if asBytes {
						l.Field([]byte(v))
					} else {
						l.FieldString(v)
					}
				}
				if err := l.End(); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(f.Temp, "x.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			gl, wl := strings.Split(string(got), "\n"), strings.Split(want.String(), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Fatalf("bytes %v: line %d is %q, encoding/csv writes %q", asBytes, i, gl[i], wl[i])
				}
			}
			t.Fatalf("bytes %v: %d bytes, encoding/csv writes %d", asBytes, len(got), want.Len())
		}
		sum := sha256.Sum256(want.Bytes())
		if fl := f.files[0]; fl.Rows != len(rows) || fl.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("manifest entry %+v", fl)
		}
	}
}
