package afas

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func stFault(faultstring, message string) string {
	return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>` +
		faultstring + `</faultstring><detail><ProfitApplicationException xmlns=""><ErrorNumber>-1</ErrorNumber><Message>` + message +
		`</Message><Detail /></ProfitApplicationException></detail></soap:Fault></soap:Body></soap:Envelope>`
}

func TestFaultReadMatchesParseFault(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "soap", "*.xml"))
	for _, file := range files {
		body := stRecorded(t, filepath.Base(file))
		want, wantOK := parseFault(body)
		got, ok := ReadFault(bytes.NewReader(body), 1<<20)
		if got != want || ok != wantOK {
			t.Errorf("%s: ReadFault %q %v, parseFault %q %v", filepath.Base(file), got, ok, want, wantOK)
		}
	}
	for name, body := range map[string]string{
		"message differs":       stFault("Fout", "Connector field 'X' not found"),
		"only message":          stFault("", "Alleen de detailmelding"),
		"only faultstring":      stFault("Alleen faultstring", ""),
		"same text":             stFault(" Zelfde ", "Zelfde"),
		"entities and CDATA":    stFault("a &amp; b &lt;c&gt; &#233;<![CDATA[ <d> ]]>", "x"),
		"nested element":        stFault("voor<b>vet</b>na", ""),
		"prefixed fault parts":  strings.NewReplacer("<faultstring>", `<s:faultstring xmlns:s="urn:x">`, "</faultstring>", "</s:faultstring>").Replace(stFault("Fout", "Melding")),
		"no detail":             `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>kort</faultstring></soap:Fault></soap:Body></soap:Envelope>`,
		"header before body":    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><x>y</x></soap:Header><soap:Body><soap:Fault><faultstring>na header</faultstring></soap:Fault></soap:Body></soap:Envelope>`,
		"empty fault":           `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault/></soap:Body></soap:Envelope>`,
		"no fault":              string(stRecorded(t, "empty_result.xml")),
		"html":                  `<html><body><h1>502 Bad Gateway</h1></body></html>`,
		"html with doctype":     `<!DOCTYPE html><html><body>502</body></html>`,
		"plain text":            `Service Unavailable`,
		"empty":                 ``,
		"other root, no fault":  `<root><Body><x/></Body></root>`,
		"fault outside body":    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Fault><faultstring>x</faultstring></soap:Fault></soap:Envelope>`,
		"whitespace everywhere": "\r\n<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\r\n <soap:Body>\r\n  <soap:Fault>\r\n   <faultstring>\r\n  tekst \r\n</faultstring>\r\n  </soap:Fault>\r\n </soap:Body>\r\n</soap:Envelope>",
	} {
		want, wantOK := parseFault([]byte(body))
		got, ok := ReadFault(strings.NewReader(body), 1<<20)
		if got != want || ok != wantOK {
			t.Errorf("%s: ReadFault %q %v, parseFault %q %v", name, got, ok, want, wantOK)
		}
	}
}

func TestFaultReadCleansAndCuts(t *testing.T) {
	got, ok := ReadFault(strings.NewReader(stFault("regel 1\r\nregel 2\tkolom\x01&#x85;&#x2028;eind", "")), 0)
	// The raw CR LF is one line break (XML normalises it), so one space.
	if !ok || got != "regel 1 regel 2 kolom   eind" {
		t.Errorf("control characters: %q %v", got, ok)
	}
	long := strings.Repeat("é", 2000) // 4000 bytes
	got, ok = ReadFault(strings.NewReader(stFault(long, "")), 0)
	if !ok || !strings.HasSuffix(got, "…") || len(got) > maxFaultText+len("…") || !utf8.ValidString(got) || !strings.HasPrefix(got, "éééé") {
		t.Errorf("long fault: %d bytes, valid %v, %q…", len(got), utf8.ValidString(got), got[:20])
	}
	exact := strings.Repeat("x", maxFaultText)
	if got, _ := ReadFault(strings.NewReader(stFault(exact, "")), 0); got != exact {
		t.Errorf("a message of exactly 1 KiB was cut: %d bytes", len(got))
	}
	// Message and faultstring joined, then cut.
	got, _ = ReadFault(strings.NewReader(stFault(strings.Repeat("a", 800), strings.Repeat("b", 800))), 0)
	if !strings.HasPrefix(got, strings.Repeat("a", 800)+": bbb") || !strings.HasSuffix(got, "…") || len(got) > maxFaultText+len("…") {
		t.Errorf("joined: %d bytes", len(got))
	}
}

// stCountingReader counts what was read from it.
type stCountingReader struct {
	r io.Reader
	n int64
}

func (c *stCountingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// stEndless is a fault whose faultstring goes on for size bytes, generated as it is read.
func stEndless(size int) io.Reader {
	head := `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Het geheugen is vol: `
	return io.MultiReader(strings.NewReader(head), io.LimitReader(stRepeatReader("véél tekst &amp; meer "), int64(size)), strings.NewReader(`</faultstring></soap:Fault></soap:Body></soap:Envelope>`))
}

type stRepeatReader string

func (r stRepeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r[i%len(r)]
	}
	return len(p) - len(p)%len(r), nil
}

func TestFaultReadTruncated(t *testing.T) {
	// A 10 MB fault text, cut at 4 KiB: the first KiB of it still comes through.
	cr := &stCountingReader{r: stEndless(10 << 20)}
	got, ok := ReadFault(cr, 4<<10)
	if !ok || !strings.HasPrefix(got, "Het geheugen is vol: véél tekst & meer véél") || !strings.HasSuffix(got, "…") || len(got) > maxFaultText+len("…") || !utf8.ValidString(got) {
		t.Errorf("cut fault: %v %d bytes %q", ok, len(got), got)
	}
	if cr.n > 4<<10 {
		t.Errorf("read %d bytes, more than max", cr.n)
	}
	// Cut anywhere: never a panic, a prefix of the message once the faultstring started, valid
	// UTF-8 even when the cut splits a character.
	body := stFault("Connector Koppel_Dienstverbanden does not exist — ümlaut", "Connector Koppel_Dienstverbanden does not exist — ümlaut")
	full, _ := ReadFault(strings.NewReader(body), 0)
	start := strings.Index(body, "<faultstring>") + len("<faultstring>")
	for n := 0; n <= len(body); n++ {
		got, ok := ReadFault(strings.NewReader(body[:n]), 0)
		if !utf8.ValidString(got) {
			t.Fatalf("cut at %d: invalid UTF-8 %q", n, got)
		}
		if n > start && (!ok || !strings.HasPrefix(full, strings.TrimRight(strings.TrimSuffix(got, "\uFFFD"), " "))) {
			t.Fatalf("cut at %d: %q %v, want a prefix of %q", n, got, ok, full)
		}
		if n < strings.Index(body, "<soap:Fault>") && ok {
			t.Fatalf("cut at %d before the Fault: ok", n)
		}
	}
}
