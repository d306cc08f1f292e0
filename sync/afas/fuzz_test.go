package afas

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseDec(t *testing.T) {
	tests := map[string]string{
		"37.5": "37.5", ".5": "0.5", "-.5": "-0.5", "+2": "2", "100": "100", "0.000001": "0.000001",
		"1.2345675": "1.234568", "  12.50 ": "12.5", "-0": "0",
	}
	for in, want := range tests {
		d, err := ParseDec(in)
		if err != nil || d.String() != want {
			t.Errorf("ParseDec(%q) = %q, %v; want %q", in, d.String(), err, want)
		}
	}
	for _, bad := range []string{"", ".", "-", "1,5", "1.234,5", "1e3", "abc", "1..2", "--1", "1234567890123.5"} {
		if _, err := ParseDec(bad); err == nil {
			t.Errorf("ParseDec(%q) accepted", bad)
		}
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"2022-01-31T00:00:00": "2022-01-31", "2022-01-31": "2022-01-31", "2022-01-31T23:59:59": "2022-01-31",
		"2022-01-31T00:00:00.000": "2022-01-31", "2022-01-31T00:00:00+01:00": "2022-01-31",
	} {
		d, err := ParseDate(in)
		if err != nil || d.Format("2006-01-02") != want {
			t.Errorf("ParseDate(%q) = %v, %v", in, d, err)
		}
	}
	for _, bad := range []string{"31-01-2022", "2022-02-30T00:00:00", "2022-13-01", "gisteren"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	if _, err := ParseDay("2022-1-31"); err == nil {
		t.Errorf("ParseDay accepted a date without leading zeros")
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "false": false, "1": true, "0": false, "True": true} {
		if got, err := ParseBool(in); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseBool("ja"); err == nil {
		t.Errorf("ParseBool(ja) accepted")
	}
}

func FuzzParseDec(f *testing.F) {
	for _, s := range []string{"37.5", ".5", "-.5", "1,5", "", "999999999999.999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDec(s)
		if err != nil {
			return
		}
		// What koppel writes, it must read back to the same value.
		again, err := ParseDec(d.String())
		if err != nil || again != d {
			t.Fatalf("%q → %q → %v, %v", s, d.String(), again, err)
		}
		if strings.ContainsAny(d.String(), ",eE") {
			t.Fatalf("%q written as %q", s, d.String())
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2022-01-31T00:00:00", "2022-01-31", "0001-01-01T00:00:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if d.Hour() != 0 || d.Minute() != 0 || d.Location().String() != "UTC" {
			t.Fatalf("%q → %v is not a calendar date", s, d)
		}
		again, err := ParseDate(d.Format("2006-01-02"))
		if err != nil || !again.Equal(d) {
			t.Fatalf("%q round trip: %v %v", s, again, err)
		}
	})
}

func FuzzNormalizeToken(f *testing.F) {
	data := strings.Repeat("ab12", 16)
	for _, s := range []string{data, TokenXMLFor(data), "<token><version>1</version><data>x</data></token>", "", "<token>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, _, err := NormalizeToken(s)
		if err != nil {
			// One fixed message for every bad input: it cannot echo a (partly right) token.
			if _, _, ref := NormalizeToken(""); err.Error() != ref.Error() {
				t.Fatalf("error depends on the input: %v", err)
			}
			return
		}
		again, form, err := NormalizeToken(x)
		if err != nil || again != x || form != TokenXML {
			t.Fatalf("normal form not stable: %q → %q (%v)", x, again, err)
		}
		if len(TokenDataOf(x)) != 64 {
			t.Fatalf("data part %q", TokenDataOf(x))
		}
	})
}

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
			for name, v := range r.Values {
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
