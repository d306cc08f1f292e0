package matching

import (
	"reflect"
	"testing"

	"github.com/koppel-nl/koppel/sync/runlog"
)

func dec(xsPN, afasPN string) Decision {
	d := Decision{XS: Key{"ACME", xsPN}}
	if afasPN != "" {
		d.AFAS = Key{"ACME", afasPN}
	}
	return d
}

func TestDecisions(t *testing.T) {
	candidate := Input{AFAS: []Employee{emp("1")}, XS: []XSEmployee{xs("X1")}}
	ambiguous := Input{AFAS: []Employee{emp("1"), emp("2")}, XS: []XSEmployee{xs("X1"), xs("X2")}}
	conflict := Input{AFAS: []Employee{emp("1", withBSN(bsn(1)))}, XS: []XSEmployee{xs("1", xsBSN(bsn(2)))}}
	tests := []struct {
		name      string
		in        Input
		decisions []Decision
		want      string
		applied   int
		stale     int
		ignored   int
		pending   bool
	}{
		{"accept a candidate", candidate, []Decision{dec("X1", "1")},
			"afas:1=gekoppeld/besluit>X1 xs:X1=gekoppeld/besluit>1", 1, 0, 0, false},
		{"reject a candidate", candidate, []Decision{dec("X1", "")},
			"afas:1=alleen-afas/ xs:X1=alleen-xs/besluit", 1, 0, 0, false},
		{"pick the partner of an ambiguous record; the rest becomes a candidate", ambiguous, []Decision{dec("X1", "2")},
			"afas:1=kandidaat/naam>X2 afas:2=gekoppeld/besluit>X1 xs:X1=gekoppeld/besluit>2 xs:X2=kandidaat/naam>1", 1, 0, 0, true},
		{"leave an ambiguous record unmatched", ambiguous, []Decision{dec("X1", ""), dec("X2", "")},
			"afas:1=alleen-afas/ afas:2=alleen-afas/ xs:X1=alleen-xs/besluit xs:X2=alleen-xs/besluit", 2, 0, 0, false},
		{"a conflict resolved as one person", conflict, []Decision{dec("1", "1")},
			"afas:1=gekoppeld/besluit>1 xs:1=gekoppeld/besluit>1", 1, 0, 0, false},
		{"a conflict resolved as two people", conflict, []Decision{dec("1", "")},
			"afas:1=alleen-afas/ xs:1=alleen-xs/besluit", 1, 0, 0, false},
		{"a rejected conflict frees the AFAS record for bsn",
			Input{AFAS: []Employee{emp("1", withBSN(bsn(1)))}, XS: []XSEmployee{xs("1", xsBSN(bsn(2))), xs("X2", xsBSN(bsn(1)), xsName("Bos"))}},
			[]Decision{dec("1", "")},
			"afas:1=gekoppeld/bsn>X2 xs:1=alleen-xs/besluit xs:X2=gekoppeld/bsn>1", 1, 0, 0, false},
		{"stale: the XS record is gone", candidate, []Decision{dec("X9", "1")},
			"afas:1=kandidaat/naam>X1 xs:X1=kandidaat/naam>1", 0, 1, 0, true},
		{"stale: the AFAS record is gone", candidate, []Decision{dec("X1", "9")},
			"afas:1=kandidaat/naam>X1 xs:X1=kandidaat/naam>1", 0, 1, 0, true},
		{"an unmatched decision needs only its XS record", candidate, []Decision{dec("X1", ""), dec("X9", "")},
			"afas:1=alleen-afas/ xs:X1=alleen-xs/besluit", 1, 1, 0, false},
		{"contradictory: two decisions for one XS record", candidate, []Decision{dec("X1", "1"), dec("X1", "")},
			"afas:1=kandidaat/naam>X1 xs:X1=kandidaat/naam>1", 0, 0, 2, true},
		{"contradictory: two XS records for one AFAS record", ambiguous, []Decision{dec("X1", "1"), dec("X2", "1")},
			"afas:1=dubbelzinnig/naam>X1,X2 afas:2=dubbelzinnig/naam>X1,X2 xs:X1=dubbelzinnig/naam>1,2 xs:X2=dubbelzinnig/naam>1,2", 0, 0, 2, true},
		{"a repeated decision counts once", candidate, []Decision{dec("X1", "1"), dec("X1", "1")},
			"afas:1=gekoppeld/besluit>X1 xs:X1=gekoppeld/besluit>1", 1, 0, 0, false},
		{"a decision overrides a method", Input{AFAS: []Employee{emp("1")}, XS: []XSEmployee{xs("1")}}, []Decision{dec("1", "")},
			"afas:1=alleen-afas/ xs:1=alleen-xs/besluit", 1, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustMatch(t, tt.in, Options{Decisions: tt.decisions})
			if got := outcomes(res); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if len(res.Applied) != tt.applied || len(res.Stale) != tt.stale || len(res.Ignored) != tt.ignored {
				t.Errorf("applied %v, stale %v, ignored %v; want %d, %d, %d", res.Applied, res.Stale, res.Ignored, tt.applied, tt.stale, tt.ignored)
			}
			b := res.Summary.Besluiten
			if b.Toegepast != tt.applied || b.Vervallen != tt.stale || b.Genegeerd != tt.ignored {
				t.Errorf("summary of decisions %+v", b)
			}
			if res.Pending() != tt.pending {
				t.Errorf("Pending %v, want %v", res.Pending(), tt.pending)
			}
			for _, d := range res.Stale {
				if !hasLog(res, runlog.Melding, LogDecisionStale, d.XS.String()) {
					t.Errorf("no Melding for stale %v", d)
				}
			}
			for _, d := range res.Ignored {
				if !hasLog(res, runlog.Waarschuwing, LogDecisionConflicting, d.XS.String()) {
					t.Errorf("no Waarschuwing for ignored %v", d)
				}
			}
			for _, d := range res.Applied {
				if !hasLog(res, runlog.Metadata, LogDecisionApplied, d.XS.String()) {
					t.Errorf("no Metadata for applied %v", d)
				}
			}
		})
	}
}

// A decided pair is in the koppeltabel as besluit when the keys differ, not when they are equal.
func TestDecisionKoppeltabel(t *testing.T) {
	res := mustMatch(t, Input{AFAS: []Employee{emp("1", withBSN(bsn(1))), emp("2")}, XS: []XSEmployee{xs("1", xsBSN(bsn(2))), xs("X2")}},
		Options{Decisions: []Decision{dec("1", "1"), dec("X2", "2")}})
	want := []KoppelRow{{Entiteit: "medewerker", WerkgeverCodeXS: "ACME", PersoneelsnummerXS: "X2", WerkgeverCode: "ACME", Personeelsnummer: "2", Methode: Besluit}}
	if got := res.Koppeltabel(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestMergeDecisions(t *testing.T) {
	stored := []Decision{dec("X2", "2"), dec("X1", "1")}
	newer := []Decision{dec("X1", ""), dec("X3", "3")}
	want := []Decision{dec("X1", ""), dec("X2", "2"), dec("X3", "3")}
	if got := MergeDecisions(stored, newer); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// Sorted by employer first.
	a, b := Decision{XS: Key{"B", "1"}}, Decision{XS: Key{"A", "2"}}
	if got := MergeDecisions([]Decision{a, b}, nil); !reflect.DeepEqual(got, []Decision{b, a}) {
		t.Errorf("got %v", got)
	}
}

func TestDecisionString(t *testing.T) {
	if got := dec("X1", "1").String(); got != "XS ACME/X1 = AFAS ACME/1" {
		t.Errorf("got %q", got)
	}
	if got := dec("X1", "").String(); got != "XS ACME/X1 stays unmatched" {
		t.Errorf("got %q", got)
	}
}
