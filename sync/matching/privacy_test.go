package matching

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// No BSN ever appears in a record, row, file, log, summary, error or String().
func TestNoBSNInOutput(t *testing.T) {
	var bsns []string
	b := func(n int) string { s := bsn(100 + n); bsns = append(bsns, s); return s }
	b8 := func(n int) string { s := bsn8(100 + n); bsns = append(bsns, s, "0"+s); return s }
	in := Input{
		AFAS: []Employee{
			emp("1", withBSN(b(1)), withAbsence("A1", "2024-01-01")),
			emp("2", withBSN(b(2)), afasName("Bos")),
			emp("3", withBSN(b(3)), afasName("Wit")),
			emp("4", withBSN(b8(4)), afasName("Rood")),
			emp("5", withBSN("123456789"), afasName("Groen")),
			emp("6", withBSN(b(6)), afasName("Paars")),
		},
		XS: []XSEmployee{
			xs("1", xsBSN(b(11))),                        // conflict
			xs("X2", xsBSN(b(2)), xsName("Anders")),      // bsn
			xs("X3", xsBSN(b(13)), xsName("Wit")),        // candidate with another BSN: Waarschuwing
			xs("X4", xsBSN(b8(4)), xsName("Rood")),       // bsn, eight digits
			xs("X5", xsBSN("111222334"), xsName("Geel")), // invalid: Melding
			xs("X6", xsBSN(b(16)), xsName("Blauw")),      // XS only
		},
		WithAbsences: true,
		XSAbsences:   []XSAbsence{xsAbs("X2", "V1", "2024-01-01"), xsAbs("X9", "V9", "2024-01-01")},
	}
	res := mustMatch(t, in, Options{Decisions: []Decision{dec("X9", "1"), dec("X6", "6"), dec("X6", "")}})
	var out bytes.Buffer
	if err := WriteKoppeltabel(&out, res.Koppeltabel()); err != nil {
		t.Fatal(err)
	}
	if err := WriteRapport(&out, res.Rapport()); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(js)
	fmt.Fprintf(&out, "%v %+v %#v %s\n", res, *res, res, res.Logs)
	fmt.Fprintf(&out, "%v %+v %#v %s %v\n", in, in, in, in.AFAS[0], in.XS)
	fmt.Fprintf(&out, "%v %+v %#v %v\n", in.AFAS[1], in.XS[1], in.AFAS, in.XS[0])
	// Errors name keys and lines, never the BSN.
	dup := in
	dup.AFAS = append([]Employee{}, in.AFAS...)
	dup.AFAS = append(dup.AFAS, in.AFAS[0])
	if _, err := Match(dup, Options{}); err == nil {
		t.Fatal("no error for a duplicate key")
	} else {
		out.WriteString(err.Error())
	}
	dupXS := in
	dupXS.XS = append(append([]XSEmployee{}, in.XS...), in.XS[0])
	if _, err := Match(dupXS, Options{}); err == nil {
		t.Fatal("no error for a duplicate XS key")
	} else {
		out.WriteString(err.Error())
	}
	text := out.String()
	for _, s := range append(bsns, "123456789", "111222334") {
		if strings.Contains(text, s) {
			t.Errorf("output shows BSN %s:\n%s", s, text)
		}
	}
	// The scenario did what it says, so the check above covered every path.
	for pn, want := range map[string]string{"1": "conflict/sleutel>1", "X2": "gekoppeld/bsn>2", "X3": "kandidaat/naam>3", "X4": "gekoppeld/bsn>4", "X6": "alleen-xs/"} {
		if got := outcome(res, FromXS, pn); got != want {
			t.Errorf("XS %s: %s, want %s", pn, got, want)
		}
	}
	if len(res.Stale) != 1 || len(res.Ignored) != 2 || len(res.Logs) < 6 {
		t.Errorf("stale %v ignored %v logs %v", res.Stale, res.Ignored, res.Logs)
	}
}

func TestStringNamesTheKey(t *testing.T) {
	e := emp("7", withBSN(bsn(1)))
	for _, s := range []string{e.String(), e.GoString(), fmt.Sprintf("%v|%+v|%#v", e, e, e)} {
		if !strings.Contains(s, "AFAS employee ACME/7") {
			t.Errorf("got %q", s)
		}
	}
	x := xs("7", xsBSN(bsn(1)))
	for _, s := range []string{x.String(), x.GoString(), fmt.Sprintf("%v|%+v|%#v", x, x, x)} {
		if !strings.Contains(s, "Xpert Suite employee ACME/7") {
			t.Errorf("got %q", s)
		}
	}
}
