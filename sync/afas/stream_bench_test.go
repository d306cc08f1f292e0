package afas

import (
	"bytes"
	"testing"
)

// stBenchPages are the bodies the decoder benchmarks run over: the recorded data pages and a
// generated page of 5,000 rows × 17 fields (with schema, Outputoptions 3).
func stBenchPages(b *testing.B) []struct {
	name string
	body []byte
} {
	return []struct {
		name string
		body []byte
	}{
		{"outputoptions2", stRecorded(b, "outputoptions2.xml")},
		{"outputoptions3", stRecorded(b, "outputoptions3.xml")},
		{"empty_connector", stRecorded(b, "empty_connector.xml")},
		{"empty_result", stRecorded(b, "empty_result.xml")},
		{"generated_5000x17", stGenPage(5000, 3)},
	}
}

// BenchmarkDecodeResponse is the streaming decoder over the whole response body.
func BenchmarkDecodeResponse(b *testing.B) {
	fields := stGenWhitelist()
	for _, p := range stBenchPages(b) {
		b.Run(p.name, func(b *testing.B) {
			b.SetBytes(int64(len(p.body)))
			b.ReportAllocs()
			rows := 0
			for b.Loop() {
				page, err := DecodeResponse(bytes.NewReader(p.body), "GetDataWithOptions", stConnector, fields, nil, func(Row) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				rows = page.Rows
			}
			b.ReportMetric(float64(rows), "rows/op")
		})
	}
}

// BenchmarkDecodeOld is today's path for comparison: gowsdl's envelope decode (encoding/xml into
// the result string), then decodeResult's second encoding/xml pass.
func BenchmarkDecodeOld(b *testing.B) {
	fields := stGenWhitelist()
	for _, p := range stBenchPages(b) {
		b.Run(p.name, func(b *testing.B) {
			b.SetBytes(int64(len(p.body)))
			b.ReportAllocs()
			rows := 0
			for b.Loop() {
				page, err := stOldDecode(p.body, "GetDataWithOptions", stConnector, fields, nil, func(Row) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				rows = page.Rows
			}
			b.ReportMetric(float64(rows), "rows/op")
		})
	}
}
