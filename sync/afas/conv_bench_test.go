package afas_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/afassim/afassimtest"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/cputime"
)

// recorder keeps the bodies of the answers a client receives.
type recorder struct {
	next   http.RoundTripper
	bodies [][]byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	r.bodies = append(r.bodies, b)
	res.Body = io.NopCloser(bytes.NewReader(b))
	return res, nil
}

// convPage is one recorded answer of a connector's first page, as a run asks for it.
type convPage struct {
	con    connectors.Connector
	salary string
	body   []byte
	rows   int
}

// simPages records from the simulator, in-process, the first page of 5,000 rows of the
// connectors a run reads most rows of.
func simPages(b *testing.B) []convPage {
	b.Helper()
	sim, url := afassimtest.Start(b, afassim.Options{Seed: 11, Employees: 6000})
	rec := &recorder{next: http.DefaultTransport}
	c, err := afas.New(afas.Config{URL: url, Token: sim.Token(), HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		b.Fatal(err)
	}
	var out []convPage
	for _, role := range []string{connectors.Medewerkers, connectors.Dienstverbanden, connectors.Verzuim} {
		con, _ := connectors.ByRole(role)
		salary := ""
		if con.Salary {
			salary = afassim.SalaryColumn
		}
		rec.bodies = nil
		rows := 0
		q := afas.Query{Connector: con.ID, Fields: con.Whitelist(salary), Sort: con.Sort, Take: 5000, Limit: 5000}
		if _, err := c.Read(context.Background(), q, func(afas.Row) error { rows++; return nil }); err != nil {
			b.Fatal(err)
		}
		if len(rec.bodies) != 1 {
			b.Fatalf("%s: %d answers recorded, want 1", role, len(rec.bodies))
		}
		out = append(out, convPage{con: con, salary: salary, body: rec.bodies[0], rows: rows})
	}
	return out
}

// replay answers every call with one recorded body.
type replay struct{ body []byte }

func (r replay) RoundTrip(req *http.Request) (*http.Response, error) {
	req.Body.Close()
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"text/xml; charset=utf-8"}},
		Body: io.NopCloser(bytes.NewReader(r.body)), ContentLength: int64(len(r.body)), Request: req}, nil
}

// BenchmarkDecodeConv decodes a realistic page of 5,000 rows: decode_only is DecodeResponse
// alone; decode_conv is a run's read of that page, ReadPages (over a transport that replays the
// recorded answer) turning every row into its typed record through the connector table's Decode.
// B/row and allocs/row are per row of the page; cpu-ns/row is the process's CPU time (GC
// included) per row, steadier than ns/row when other processes share the cores.
func BenchmarkDecodeConv(b *testing.B) {
	pages := simPages(b)
	for _, conv := range []bool{false, true} {
		for _, p := range pages {
			name := p.con.Role + "/decode_only"
			if conv {
				name = p.con.Role + "/decode_conv"
			}
			b.Run(name, func(b *testing.B) {
				fields := p.con.Whitelist(p.salary)
				c, err := afas.New(afas.Config{URL: "http://afas.invalid/appconnector", Token: strings.Repeat("ab", 32), HTTPClient: &http.Client{Transport: replay{p.body}}})
				if err != nil {
					b.Fatal(err)
				}
				q := afas.Query{Connector: p.con.ID, Fields: fields, Sort: p.con.Sort, Take: p.rows, Limit: p.rows}
				decode := p.con.Decoder(p.salary)
				b.SetBytes(int64(len(p.body)))
				b.ReportAllocs()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				cpu := cputime.Process()
				n := 0
				for b.Loop() {
					rows := 0
					if conv {
						_, err := afas.ReadPages(context.Background(), c, q, decode, func(page []any) error { rows += len(page); return nil })
						if err != nil {
							b.Fatal(err)
						}
					} else {
						page, err := afas.DecodeResponse(bytes.NewReader(p.body), "GetDataWithOptions", p.con.ID, fields, nil, func(afas.Row) error { return nil })
						if err != nil {
							b.Fatal(err)
						}
						rows = page.Rows
					}
					if rows != p.rows {
						b.Fatalf("%d rows, want %d", rows, p.rows)
					}
					n++
				}
				cpu = cputime.Process() - cpu
				runtime.ReadMemStats(&after)
				rows := float64(n * p.rows)
				b.ReportMetric(float64(cpu.Nanoseconds())/rows, "cpu-ns/row")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/rows, "B/row")
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/rows, "allocs/row")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rows, "ns/row")
			})
		}
	}
}
