package engine

import (
	"errors"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/values"
)

// filled sets every field of a record (and of its values) to a distinct non-zero value, so a
// field the backlog forgets — one added to the record later — fails the round trip.
func filled(t *testing.T, v any, seed int) any {
	t.Helper()
	rv := reflect.New(reflect.TypeOf(v)).Elem()
	n := seed
	var fill func(f reflect.Value)
	fill = func(f reflect.Value) {
		n++
		switch f.Type() {
		case reflect.TypeOf(time.Time{}):
			f.Set(reflect.ValueOf(time.Date(2000+n%30, time.Month(1+n%12), 1+n%28, 0, 0, 0, 0, time.UTC)))
			return
		case reflect.TypeOf([]values.FieldError{}):
			f.Set(reflect.ValueOf([]values.FieldError{{Field: "F" + string(rune('a'+n%26)), Err: errors.New("bad é value")}, {Field: "G"}}))
			return
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString("s" + string(rune('A'+n%26)) + "ë;\"")
		case reflect.Int64, reflect.Int:
			f.SetInt(int64(n * 1001))
		case reflect.Uint8:
			f.SetUint(uint64(n % 251))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			f.Set(reflect.ValueOf([]string{"x", "", "yz"}))
		case reflect.Struct:
			for i := 0; i < f.NumField(); i++ {
				fill(f.Field(i))
			}
		default:
			t.Fatalf("the test cannot fill a %s (%s): teach it, and the backlog", f.Type(), f.Kind())
		}
	}
	fill(rv)
	return rv.Interface()
}

// sameRecord compares records with field errors by field and message (an error comes back as
// its text).
func sameRecord(t *testing.T, got, want any) {
	t.Helper()
	norm := func(v any) any {
		rv := reflect.New(reflect.TypeOf(v)).Elem()
		rv.Set(reflect.ValueOf(v))
		if f := rv.FieldByName("Errs"); f.IsValid() {
			var out []values.FieldError
			for _, e := range f.Interface().([]values.FieldError) {
				n := values.FieldError{Field: e.Field}
				if e.Err != nil {
					n.Err = errors.New(e.Err.Error())
				}
				out = append(out, n)
			}
			f.Set(reflect.ValueOf(out))
		}
		return rv.Interface()
	}
	if !reflect.DeepEqual(norm(got), norm(want)) {
		t.Errorf("read back\n%#v\nwant\n%#v", got, want)
	}
}

func TestBacklogReadsBackEveryFieldInOrder(t *testing.T) {
	recs := []any{
		filled(t, mapping.Employment{}, 1),
		filled(t, mapping.Absence{}, 2),
		mapping.Employment{Medewerker: "100001"}, // zero times, null values, no problems
		mapping.Absence{VerzuimID: -5, Aanwezig: values.Value{Kind: values.Decimal, Null: true}},
		filled(t, mapping.Employment{}, 3),
	}
	bl := &backlog{}
	defer bl.close()
	for _, page := range [][]any{recs[:2], recs[2:3], nil, recs[3:]} {
		held, err := bl.add(page)
		if err != nil || !held {
			t.Fatalf("add: held %v, %v", held, err)
		}
	}
	var got []any
	if err := bl.each(func(v any) error { got = append(got, kept(v)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("read back %d records, want %d", len(got), len(recs))
	}
	for i := range recs {
		sameRecord(t, got[i], recs[i])
	}
}

func TestBacklogKeepsOtherRecordsInMemoryAndStops(t *testing.T) {
	bl := &backlog{}
	defer bl.close()
	if held, err := bl.add([]any{mapping.Absence{VerzuimID: 1}}); err != nil || !held {
		t.Fatalf("add absence: %v %v", held, err)
	}
	if held, err := bl.add([]any{mapping.Unit{Code: "A"}}); err != nil || held {
		t.Fatalf("add unit: held %v, %v; want it kept in memory, not held", held, err)
	}
	var got []any
	if err := bl.each(func(v any) error { got = append(got, kept(v)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].(mapping.Absence).VerzuimID != 1 || got[1].(mapping.Unit).Code != "A" {
		t.Fatalf("read back %#v", got)
	}
}

func TestBacklogRefusesACorruptRecord(t *testing.T) {
	bl := &backlog{}
	b, _ := appendRecord(nil, &strs{}, filled(t, mapping.Absence{}, 4))
	for _, bad := range [][]byte{nil, {'X'}, b[:len(b)-1], append(append([]byte{}, b...), 'z'), b[:5]} {
		if _, err := bl.decode(bad, nil); !errors.Is(err, errUnreadable) {
			t.Errorf("decode of %d bytes: %v, want errUnreadable", len(bad), err)
		}
	}
}

// A replay stops reading when the rules fail, and says why.
func TestBacklogReplayStopsAtTheFirstFailure(t *testing.T) {
	bl := &backlog{}
	defer bl.close()
	page := make([]any, 5000)
	for i := range page {
		page[i] = mapping.Absence{VerzuimID: int64(i)}
	}
	if _, err := bl.add(page); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("rule failed")
	n := 0
	err := bl.each(func(v any) error {
		if n++; recordOf[mapping.Absence](v).VerzuimID == 1500 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 1501 {
		t.Fatalf("each: %v after %d records, want the rule's error after 1501", err, n)
	}
	// Read whole, in order.
	var ids []int64
	if err := bl.each(func(v any) error { ids = append(ids, recordOf[mapping.Absence](v).VerzuimID); return nil }); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if id != int64(i) {
			t.Fatalf("record %d is %d", i, id)
		}
	}
	if len(ids) != len(page) {
		t.Fatalf("read back %d records, want %d", len(ids), len(page))
	}
}

// kept copies a record a replay handed out (a pointer it reuses) into a value of its own.
func kept(v any) any {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		return rv.Elem().Interface()
	}
	return v
}

// A run's temporary rows leave no file behind, also when the process is killed: on Unix the file
// has no name from the start.
func TestRowFileHasNoNameWhileOpen(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("an open file cannot be unlinked on Windows")
	}
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	rf, err := newRowFile("backlog")
	if err != nil {
		t.Fatal(err)
	}
	defer rf.close()
	for _, row := range []string{"a", "bc"} {
		if err := rf.add([]byte(row)); err != nil {
			t.Fatal(err)
		}
	}
	if names, err := os.ReadDir(dir); err != nil || len(names) != 0 {
		t.Errorf("temporary folder holds %v (%v)", names, err)
	}
	var got []string
	if err := rf.each(func(b []byte) error { got = append(got, string(b)); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a,bc" {
		t.Errorf("read back %q", got)
	}
}
