package afas_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/afassim/afassimtest"
)

// simItem finds the simulated dossier item of an attachment by its file name.
func simItem(t *testing.T, sim *afassim.Server, name string) (int, string, *afassim.Attachment) {
	t.Helper()
	var subject int
	var file string
	var att *afassim.Attachment
	sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables[afassim.DossierConnector]
		for _, row := range tb.Rows {
			if row[tb.Col("Bestandsnaam")] == name {
				subject, _ = strconv.Atoi(row[tb.Col("Dossieritem")])
				file = row[tb.Col("Bijlage_id")]
				att = d.Attachments[afassim.AttachmentKey(int64(subject), file)]
				return
			}
		}
	})
	if subject == 0 {
		t.Fatalf("no simulated item %q", name)
	}
	return subject, file, att
}

func shaOf(t *testing.T, r io.Reader) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// noFiles fails when dir holds anything: a failed download leaves neither a file nor a part.
func noFiles(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

func TestSubjectURLIsBesideTheGetConnectorService(t *testing.T) {
	for in, want := range map[string]string{
		"https://12345.soap.afas.online/ProfitServices/AppConnectorGet.asmx": "https://12345.soap.afas.online/ProfitServices/AppConnectorSubject.asmx",
		"http://127.0.0.1:8080/ProfitServices/appconnectorget.asmx?x=1":      "http://127.0.0.1:8080/ProfitServices/AppConnectorSubject.asmx?x=1",
	} {
		if got := afas.SubjectURL(in); got != want {
			t.Errorf("SubjectURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDownloadAttachment(t *testing.T) {
	sim, url := startSim(t, afassim.Options{Seed: 1, Employees: 40, Documents: true})
	pool := afas.NewPool(2)
	c, err := afas.New(afas.Config{URL: url, Token: sim.Token(), RetryBase: time.Millisecond, Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx := context.Background()

	for _, name := range []string{"scan-groot.pdf", "leeg.txt"} {
		subject, file, att := simItem(t, sim, name)
		path := filepath.Join(dir, name)
		got, err := c.DownloadAttachment(ctx, subject, file, path, 25<<20)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Size != att.Size || got.SHA256 != shaOf(t, att.Content()) {
			t.Errorf("%s: size %d sha %s; want %d bytes of the simulator's content", name, got.Size, got.SHA256, att.Size)
		}
		f, _ := os.Open(path)
		if sha := shaOf(t, f); sha != got.SHA256 {
			t.Errorf("%s: the file's SHA-256 %s is not the one reported", name, sha)
		}
		f.Close()
		if fi, _ := os.Stat(path); fi == nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: want a 0600 file", name)
		}
		_ = os.Remove(path)
	}
	if pool.MaxInUse() < 1 {
		t.Error("the download did not go through the pool")
	}

	fails := []struct {
		name string
		max  int64
		kind afas.FaultKind
	}{
		{"weg.pdf", 25 << 20, afas.FaultAttachmentMissing},
		{"kapot.pdf", 25 << 20, afas.FaultNotBase64},
		{"scan-groot.pdf", 1 << 20, afas.FaultFileTooLarge},
	}
	for _, f := range fails {
		subject, file, _ := simItem(t, sim, f.name)
		before := sim.AttachmentCalls()
		_, err := c.DownloadAttachment(ctx, subject, file, filepath.Join(dir, f.name), f.max)
		var ae *afas.Error
		if !errors.As(err, &ae) || ae.Kind != f.kind {
			t.Errorf("%s: err %v, want kind %s", f.name, err, f.kind)
		}
		if calls := sim.AttachmentCalls() - before; calls != 1 {
			t.Errorf("%s: %d calls; a functional failure is not retried", f.name, calls)
		}
		noFiles(t, dir)
	}
}

func TestAttachmentIsRetriedWithoutDoubling(t *testing.T) {
	sim, url := startSim(t, afassim.Options{Seed: 1, Employees: 20, Documents: true, Faults: afassim.Faults{FailFirst: 2, FailKind: "reset"}})
	// The first two attempts lose their connection.
	subject, file, att := simItem(t, sim, "scan-groot.pdf")
	retries := 0
	c, _ := afas.New(afas.Config{URL: url, Token: sim.Token(), RetryBase: time.Millisecond,
		OnRetry: func(string, int, time.Duration, error) { retries++ }})
	path := filepath.Join(t.TempDir(), "f")
	got, err := c.DownloadAttachment(context.Background(), subject, file, path, 25<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != att.Size || got.SHA256 != shaOf(t, att.Content()) || retries != 2 {
		t.Errorf("after %d retries: %d bytes, want the file once (%d bytes) after 2", retries, got.Size, att.Size)
	}
}

func TestAttachmentCutOffMidwayIsRetriedWhole(t *testing.T) {
	content := bytes.Repeat([]byte("koppel "), 20_000)
	b64 := base64.StdEncoding.EncodeToString(content)
	var calls atomic.Int32
	url := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		io.WriteString(w, `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetAttachmentResponse xmlns="urn:Afas.Profit.Services"><GetAttachmentResult>`)
		if calls.Add(1) == 1 {
			io.WriteString(w, b64[:len(b64)/2]) // and the answer ends
			return
		}
		io.WriteString(w, b64+`</GetAttachmentResult></GetAttachmentResponse></soap:Body></soap:Envelope>`)
	})
	c := quickClient(t, strings.Replace(url, "AppConnectorGet", "AppConnectorSubject", 1), afas.Config{})
	path := filepath.Join(t.TempDir(), "f")
	got, err := c.DownloadAttachment(context.Background(), 1, "A", path, 25<<20)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if !bytes.Equal(data, content) || got.Size != int64(len(content)) || calls.Load() != 2 {
		t.Errorf("got %d bytes in %d calls, want the %d bytes once after one retry", len(data), calls.Load(), len(content))
	}
}

// A 50 MB attachment streams to disk: what the download allocates is a small fraction of the
// file, where holding it (or its base64) would take 50 to 120 MB.
func TestLargeAttachmentStreamsInFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 50 MB")
	}
	sim, url := startSim(t, afassim.Options{Seed: 1, Employees: 5, Documents: true})
	const size = 50 << 20
	sim.Update(func(d *afassim.Dataset) {
		d.Attachments[afassim.AttachmentKey(77, "BIG")] = &afassim.Attachment{Size: size, Seed: 9}
	})
	c, _ := afas.New(afas.Config{URL: url, Token: sim.Token()})
	path := filepath.Join(t.TempDir(), "big")
	var got afas.Attachment
	var err error
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	peak := heapDuring(func() { got, err = c.DownloadAttachment(context.Background(), 77, "BIG", path, 60<<20) })
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != size {
		t.Fatalf("size %d, want %d", got.Size, size)
	}
	// The simulator, in this process, allocates too; both stream.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("the download allocated %d MiB for a 50 MiB file; it must stream", alloc>>20)
	}
	if peak > 8<<20 {
		t.Errorf("the heap grew %d MiB during the download; it must stay flat", peak>>20)
	}
}

func BenchmarkDownloadAttachment50MB(b *testing.B) {
	sim, url := startSimB(b)
	sim.Update(func(d *afassim.Dataset) {
		d.Attachments[afassim.AttachmentKey(77, "BIG")] = &afassim.Attachment{Size: 50 << 20, Seed: 9}
	})
	c, _ := afas.New(afas.Config{URL: url, Token: sim.Token()})
	dir := b.TempDir()
	b.ReportAllocs()
	b.SetBytes(50 << 20)
	for i := 0; b.Loop(); i++ {
		path := filepath.Join(dir, strconv.Itoa(i))
		if _, err := c.DownloadAttachment(context.Background(), 77, "BIG", path, 60<<20); err != nil {
			b.Fatal(err)
		}
		_ = os.Remove(path)
	}
}

func TestDecodeAttachment(t *testing.T) {
	env := func(inner string) string {
		return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetAttachmentResponse xmlns="urn:Afas.Profit.Services">` + inner + `</GetAttachmentResponse></soap:Body></soap:Envelope>`
	}
	res := func(text string) string { return env("<GetAttachmentResult>" + text + "</GetAttachmentResult>") }
	tests := []struct {
		name, body string
		max        int64
		want       string // decoded bytes
		err        error  // wrapped sentinel, or nil
		fault      bool
		tooLarge   bool
	}{
		{name: "plain", body: res("a29wcGVs"), want: "koppel"},
		{name: "one pad", body: res("a29wcGVsIQ=="), want: "koppel!"},
		{name: "two pad", body: res("a29wcA=="), want: "kopp"},
		{name: "pad of two", body: res("a29wcGU="), want: "koppe"},
		{name: "line breaks and entities", body: res("a29w\r\n cGVs&#xD;&#xA;"), want: "koppel"},
		{name: "CDATA", body: res("<![CDATA[a29w]]>cGVs"), want: "koppel"},
		{name: "empty", body: res(""), want: ""},
		{name: "self-closing", body: env("<GetAttachmentResult/>"), want: ""},
		{name: "at the cap", body: res("a29wcGVs"), max: 6, want: "koppel"},
		{name: "above the cap", body: res("a29wcGVs"), max: 5, tooLarge: true},
		{name: "not base64", body: res("geen base64!"), err: afas.ErrNotBase64},
		{name: "text after padding", body: res("a29wcA==cGVs"), err: afas.ErrNotBase64},
		{name: "misplaced padding", body: res("a==="), err: afas.ErrNotBase64},
		{name: "three padding", body: res("a29wc==="), err: afas.ErrNotBase64},
		{name: "unfinished group", body: res("a29wcGV"), err: afas.ErrNotBase64},
		{name: "illegal character reference", body: res("a29w&#0;cGVs"), err: afas.ErrNotBase64},
		{name: "no result", body: env(""), err: afas.ErrMalformed},
		{name: "two results", body: env("<GetAttachmentResult>a29w</GetAttachmentResult><GetAttachmentResult/>"), err: afas.ErrMalformed},
		{name: "element inside", body: res("a29w<x/>"), err: afas.ErrMalformed},
		{name: "other operation", body: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetDataResponse xmlns="urn:Afas.Profit.Services"/></soap:Body></soap:Envelope>`, err: afas.ErrMalformed},
		{name: "cut off", body: res("a29wcGVs")[:200], err: afas.ErrMalformed},
		{name: "fault", body: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Bijlage bestaat niet</faultstring></soap:Fault></soap:Body></soap:Envelope>`, fault: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			n, err := afas.DecodeAttachment(strings.NewReader(tt.body), &out, tt.max)
			var fb *afas.FaultBody
			var big *afas.FileTooLargeError
			switch {
			case tt.fault:
				if !errors.As(err, &fb) || fb.Message != "Bijlage bestaat niet" {
					t.Errorf("err %v, want the fault", err)
				}
			case tt.tooLarge:
				if !errors.As(err, &big) || int64(out.Len()) > tt.max {
					t.Errorf("err %v with %d bytes written, want FileTooLargeError within the cap", err, out.Len())
				}
			case tt.err != nil:
				if !errors.Is(err, tt.err) {
					t.Errorf("err %v, want %v", err, tt.err)
				}
			default:
				if err != nil || out.String() != tt.want || n != int64(len(tt.want)) {
					t.Errorf("got %q (%d, %v), want %q", out.String(), n, err, tt.want)
				}
			}
		})
	}
}

// Decoding a large attachment in pieces of any size gives the same bytes.
func TestDecodeAttachmentAcrossReads(t *testing.T) {
	content := make([]byte, 100_003)
	for i := range content {
		content[i] = byte(i * 7)
	}
	b64 := base64.StdEncoding.EncodeToString(content)
	body := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetAttachmentResponse xmlns="urn:Afas.Profit.Services"><GetAttachmentResult>` + b64 + `</GetAttachmentResult></GetAttachmentResponse></soap:Body></soap:Envelope>`
	for _, chunk := range []int{1, 3, 1000, 1 << 16} {
		var out bytes.Buffer
		if _, err := afas.DecodeAttachment(&chunked{s: body, n: chunk}, &out, 0); err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		if !bytes.Equal(out.Bytes(), content) {
			t.Errorf("chunk %d: the bytes differ", chunk)
		}
	}
}

type chunked struct {
	s string
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	n := min(c.n, len(p), len(c.s))
	copy(p, c.s[:n])
	c.s = c.s[n:]
	return n, nil
}

func startSimB(b *testing.B) (*afassim.Server, string) {
	b.Helper()
	return afassimtest.Start(b, afassim.Options{Seed: 1, Employees: 5, Documents: true})
}
