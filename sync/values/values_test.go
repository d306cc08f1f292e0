package values

import (
	"strings"
	"testing"
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

// fastDate must agree with the layouts wherever it answers, and answer for AFAS's usual form.
func TestFastDateMatchesLayouts(t *testing.T) {
	for _, s := range []string{"2022-01-31T00:00:00", "2024-02-29T23:59:59", "0000-01-01T00:00:00", "1999-12-31T12:30:45"} {
		got, ok := fastDate(s)
		want, err := parseDateLayouts(s)
		if !ok || err != nil || !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("fastDate(%q) = %v, %v; layouts %v, %v", s, got, ok, want, err)
		}
	}
	for _, s := range []string{"2023-02-29T00:00:00", "2022-13-01T00:00:00", "2022-00-10T00:00:00", "2022-01-00T00:00:00",
		"2022-01-31T24:00:00", "2022-01-31T00:60:00", "2022-01-31T00:00:60", "2022-01-31 00:00:00", "2022-1-031T00:00:00",
		"+022-01-31T00:00:00", "2022-01-31T00:00:0x", "2022-01-31T00:00:00.5", "2022-01-31"} {
		if got, ok := fastDate(s); ok {
			t.Errorf("fastDate(%q) = %v, want no answer", s, got)
		}
	}
}

func FuzzFastDate(f *testing.F) {
	for _, s := range []string{"2022-01-31T00:00:00", "2024-02-29T23:59:59", "2023-02-29T00:00:00", "2022-01-31T24:00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := fastDate(s)
		if !ok {
			return
		}
		want, err := parseDateLayouts(s)
		if err != nil || !got.Equal(want) {
			t.Fatalf("fastDate(%q) = %v; layouts %v, %v", s, got, want, err)
		}
	})
}

func BenchmarkParseDate(b *testing.B) {
	for b.Loop() {
		if _, err := ParseDate("2022-01-31T00:00:00"); err != nil {
			b.Fatal(err)
		}
	}
}
