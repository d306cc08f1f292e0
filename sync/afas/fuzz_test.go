package afas

import (
	"testing"
	"unicode/utf8"
)

func FuzzDecodeResult(f *testing.F) {
	f.Add(`<AfasGetConnector><C><A>1</A><B>2022-01-31T00:00:00</B><D>.5</D><E>true</E></C></AfasGetConnector>`)
	f.Add(`<AfasGetConnector><xs:schema xmlns:xs="x"><xs:element name="C"><xs:element name="A" type="xs:string"/></xs:element></xs:schema></AfasGetConnector>`)
	f.Add(``)
	f.Add(`<AfasGetConnector><C><A/><X>secret</X></C>`)
	fields := Fields{"A": String, "B": Date, "D": Decimal, "E": Bool}
	f.Fuzz(func(t *testing.T, doc string) {
		rows := 0
		page, err := DecodeResult(doc, "C", fields, func(r Row) error {
			rows++
			for name, v := range r.All() {
				if _, ok := fields[name]; !ok {
					t.Fatalf("decoded %s, which is not whitelisted", name)
				}
				if v.Kind == String && !v.Null && !utf8.ValidString(v.Str) {
					t.Fatalf("invalid UTF-8 in %s", name)
				}
			}
			return nil
		})
		if err == nil && page.Rows != rows {
			t.Fatalf("page says %d rows, saw %d", page.Rows, rows)
		}
	})
}
