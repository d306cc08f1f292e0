package afas

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"reflect"
	"testing"
)

// rawDecode decodes a body with the fast path for rows on or off, through a reader that hands
// out chunk bytes per Read (0: all at once).
func rawDecode(body []byte, chunk int, raw bool, connector string, fields Fields, names map[string]string) ([]stRow, Page, error) {
	return stCollect(func(fn func(Row) error) (Page, error) {
		var r io.Reader = bytes.NewReader(body)
		if chunk > 0 {
			r = &chunkReader{body, chunk}
		}
		s := newScanner(r)
		s.noRaw = !raw
		return s.response("GetDataWithOptions", connector, fields, names, fn)
	})
}

type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// checkRawMatchesGeneral: the fast path must give exactly what the general path gives (rows,
// field errors, cleaning, Dropped, Schema, the error), whatever the reads' sizes.
func checkRawMatchesGeneral(t *testing.T, body []byte, connector string, fields Fields, names map[string]string) {
	t.Helper()
	wantRows, wantPage, wantErr := rawDecode(body, 0, false, connector, fields, names)
	for _, chunk := range []int{0, 1, 7, 1000} {
		rows, page, err := rawDecode(body, chunk, true, connector, fields, names)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("reads of %d: error %v, general path %v", chunk, err, wantErr)
		}
		if !reflect.DeepEqual(rows, wantRows) {
			t.Fatalf("reads of %d: rows\n%+v\ngeneral path\n%+v", chunk, rows, wantRows)
		}
		if !reflect.DeepEqual(page, wantPage) {
			t.Fatalf("reads of %d: page %+v, general path %+v", chunk, page, wantPage)
		}
	}
}

func TestRawRowsMatchGeneralPath(t *testing.T) {
	for _, name := range []string{"outputoptions2.xml", "outputoptions3.xml", "empty_connector.xml", "empty_result.xml"} {
		checkRawMatchesGeneral(t, stRecorded(t, name), stConnector, stGenWhitelist(), nil)
	}
	checkRawMatchesGeneral(t, stGenPage(300, 2), stConnector, stGenWhitelist(), nil)
	checkRawMatchesGeneral(t, stGenPage(300, 3), stConnector, stGenWhitelist(), nil)
	for _, doc := range stFuzzSeeds() {
		checkRawMatchesGeneral(t, stDocEnvelope(doc), "C", stFuzzFields, stFuzzNames)
	}
}

// The fast path takes AFAS's usual rows, and leaves every other row to the general path.
func TestRawRowsTakeTheUsualRows(t *testing.T) {
	var doc bytes.Buffer
	doc.WriteString("<AfasGetConnector>")
	for i := range 100 {
		fmt.Fprintf(&doc, "<C><A>a%d &amp; &quot;b&quot; 'c' &gt; é</A><I>%d</I><X>x</X><E/><D /><B\t/></C>", i, i)
	}
	doc.WriteString("<C><A>tab\there</A></C><C><A>&#233;</A></C></AfasGetConnector>")
	s := newScanner(bytes.NewReader(stDocEnvelope(doc.String())))
	var got []string
	if _, err := s.response("GetDataWithOptions", "C", stFuzzFields, nil, func(r Row) error {
		got = append(got, r.Str("A")+"|"+r.Get("I", Int).Text())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 102 || got[5] != `a5 & "b" 'c' > é|5` || got[101] != "é|" {
		t.Errorf("rows %q…", got[:min(len(got), 6)])
	}
	// The first rows are the general path's (an answer proves long, slots are learnt), and
	// the ones with a tab or a reference it cannot take.
	if s.d.raw.rows < 90 || s.d.raw.fallbacks != 2 {
		t.Errorf("fast path read %d rows and left %d, want at least 90 and 2 (a tab, a reference)", s.d.raw.rows, s.d.raw.fallbacks)
	}
}

func FuzzRawRowsMatchGeneralPath(f *testing.F) {
	for _, doc := range stFuzzSeeds() {
		f.Add(stDocEnvelope(doc))
	}
	f.Add(stGenPage(20, 2))
	f.Add(stRecorded(f, "outputoptions3.xml"))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkRawMatchesGeneral(t, body, "C", stFuzzFields, stFuzzNames)
		checkRawMatchesGeneral(t, body, stConnector, stGenWhitelist(), nil)
	})
}

// rawSpecial marks exactly the bytes rawValue must look at, the lowest first.
func TestRawSpecialFindsTheFirstByteToLookAt(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			special := c == '&' || c == '<' || c < 0x20 || c >= 0x80
			m := rawSpecial(binary.LittleEndian.Uint64(w))
			switch {
			case special && (m == 0 || bits.TrailingZeros64(m)>>3 != pos):
				t.Fatalf("byte %#x at %d: mark %#x", c, pos, m)
			case !special && m != 0:
				t.Fatalf("plain byte %#x at %d marked: %#x", c, pos, m)
			}
		}
	}
}
