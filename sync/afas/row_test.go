package afas

import (
	"reflect"
	"testing"

	"github.com/koppel-nl/koppel/sync/values"
)

// rowFields has one field of every kind.
var rowFields = Fields{"S": String, "I": Int, "D": Decimal, "B": Bool, "T": Date}

// setAndGet stores text in a row's field as the decoders do and reads it back.
func setAndGet(field, text string) (Value, error) {
	rb := newRowBuilder(rowFields)
	rb.reset()
	err := rb.set(rb.lay.index(field), []byte(text))
	return rb.finish().Get(field, rowFields[field]), err
}

// The row's own parsing of numbers, booleans and dates must give exactly what
// values.ParseValue gives, errors included.
func checkSetMatchesParseValue(t *testing.T, text string) {
	t.Helper()
	for f, k := range rowFields {
		got, gotErr := setAndGet(f, text)
		want, wantErr := values.ParseValue(k, text)
		if wantErr != nil {
			want = Value{Kind: k, Null: true}
		}
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("%s %q: error %v, ParseValue says %v", k, text, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s %q: %#v, ParseValue says %#v", k, text, got, want)
		}
		// The typed accessors read what Get reads, for a field of any kind.
		rb := newRowBuilder(rowFields)
		rb.reset()
		_ = rb.set(rb.lay.index(f), []byte(text))
		r := rb.finish()
		for g := range rowFields {
			if r.Str(g) != r.Get(g, String).Str || r.Int(g) != r.Get(g, Int).Int || r.Time(g) != r.Get(g, Date).Time {
				t.Fatalf("%s %q: accessors of %s differ from Get", k, text, g)
			}
		}
	}
}

var rowSeeds = []string{
	"", " ", "0", "1", "-1", "+7", "-0", "123456789012345678", "1234567890123456789", "99999999999999999999",
	"37.5", ".5", "-.5", "5.", ".", "-", "+", "1.2345675", "1.234567", "999999999999.999999", "1234567890123.5",
	" 12 ", "1,5", "1e3", "true", "false", "True", "ja", " 1",
	"2022-01-31T00:00:00", "2024-02-29T23:59:59", "2023-02-29T00:00:00", "0000-01-01T00:00:00", "0000-03-01T00:00:00",
	"9999-12-31T00:00:00", "1969-12-31T12:00:00", "1900-03-01T00:00:00", "2022-01-31", "2022-01-31T00:00:00+01:00",
	"2022-13-01T00:00:00", "2022-01-31T24:00:00", "Müller", "a b",
}

func TestRowParsesAsParseValue(t *testing.T) {
	for _, s := range rowSeeds {
		checkSetMatchesParseValue(t, s)
	}
	// Every day of four centuries, through daysFromCivil.
	start, _ := values.ParseDate("1900-01-01T00:00:00")
	for day := start; day.Year() < 2101; day = day.AddDate(0, 0, 1) {
		checkSetMatchesParseValue(t, day.Format("2006-01-02T15:04:05"))
	}
}

func FuzzRowParsesAsParseValue(f *testing.F) {
	for _, s := range rowSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkSetMatchesParseValue(t, s) })
}

// A row's fields are found by name, whatever names a whitelist has, and only those.
func TestLayoutFindsEveryField(t *testing.T) {
	fields := Fields{}
	for i := 0; i < 300; i++ {
		name := string(rune('A'+i%26)) + string(rune('a'+i/26%26)) + "_" + string(rune('0'+i%10))
		fields[name] = String
		l := newLayout(fields)
		for f := range fields {
			if i := l.index(f); i < 0 || l.names[i] != f {
				t.Fatalf("%s not found among %d fields", f, len(fields))
			}
		}
		for _, f := range []string{"", "x", "Medewerker", name + "x"} {
			if l.index(f) >= 0 {
				t.Fatalf("%q found among %d fields", f, len(fields))
			}
		}
	}
}
