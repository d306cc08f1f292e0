package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/runlog"
)

func matchRun(id string, dry bool) *store.Run {
	return &store.Run{ID: id, Profile: "acme", Kind: store.KindMatch, Status: store.StatusOK, DryRun: dry,
		Started: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Delivery: "/out/" + id}
}

func TestMatchDecisionsKeptPerProfile(t *testing.T) {
	s, path := newStore(t)
	for _, n := range []string{"acme", "beta"} {
		if err := s.PutProfile(named(n)); err != nil {
			t.Fatal(err)
		}
	}
	ds := []store.MatchDecision{
		{XSWerkgeverCode: "ACME", XSPersoneelsnummer: "0012", AFASWerkgeverCode: "ACME", AFASPersoneelsnummer: "12"},
		{XSWerkgeverCode: "ACME", XSPersoneelsnummer: "0077"}, // stays unmatched
	}
	h := hold(t, s, "acme")
	logs := []runlog.Log{{Level: runlog.Waarschuwing, Code: "match.xs_only", Key: "ACME/0099"}}
	if err := h.RecordMatch(matchRun("m1", false), logs, ds, store.MatchStatus{Run: "m1", Open: 3}, &store.Pending{Temp: "/out/.m1", Final: "/out/m1"}); err != nil {
		t.Fatal(err)
	}
	got, err := h.MatchDecisions()
	if err != nil || !slices.Equal(got, ds) {
		t.Fatalf("decisions in the session: %v %v", got, err)
	}
	// The folder's rename is pending with the record, as a delivery's is.
	if pend, _ := h.Pending(); pend == nil || pend.Final != "/out/m1" {
		t.Errorf("pending rename: %+v", pend)
	}
	if err := h.ClearPending(); err != nil {
		t.Fatal(err)
	}
	h.Close()

	// Across a reopen of the store, for this profile only.
	s.Close()
	s = openStore(t, path)
	if got, _ := s.MatchDecisions("acme"); !slices.Equal(got, ds) {
		t.Errorf("decisions after reopen: %v", got)
	}
	if got, _ := s.MatchDecisions("beta"); len(got) != 0 {
		t.Errorf("beta has acme's decisions: %v", got)
	}
	st, err := s.MatchStatusOf("acme")
	if err != nil || !st.Waiting() || st.Open != 3 || st.Run != "m1" {
		t.Errorf("status: %+v %v", st, err)
	}
	if st, _ := s.MatchStatusOf("beta"); st.Waiting() {
		t.Errorf("beta waits: %+v", st)
	}
	// A match is in the history but never a delivery of the coupling.
	if r, _ := s.LastDelivery("acme"); r != nil {
		t.Errorf("a match counts as the last delivery: %+v", r)
	}
	if runs, _ := s.Runs("acme"); len(runs) != 1 || runs[0].Kind != store.KindMatch {
		t.Errorf("runs: %+v", runs)
	}
	if l, _ := s.RunLogs("m1"); len(l) != 1 || l[0].Code != "match.xs_only" {
		t.Errorf("log: %+v", l)
	}

	// A preview records the run only; a new match replaces the decisions as a whole.
	h = hold(t, s, "acme")
	if err := h.RecordMatch(matchRun("m2", true), nil, nil, store.MatchStatus{Run: "m2"}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.MatchDecisions(); !slices.Equal(got, ds) {
		t.Errorf("a preview changed the decisions: %v", got)
	}
	if st, _ := h.MatchStatus(); st.Run != "m1" {
		t.Errorf("a preview changed the status: %+v", st)
	}
	if err := h.RecordMatch(matchRun("m3", false), nil, ds[:1], store.MatchStatus{Run: "m3"}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.MatchDecisions(); !slices.Equal(got, ds[:1]) {
		t.Errorf("decisions not replaced: %v", got)
	}
	if st, _ := h.MatchStatus(); st.Waiting() {
		t.Errorf("still waiting after a match with nothing open: %+v", st)
	}
}

func TestMatchBadInputStoresNothing(t *testing.T) {
	s, _ := newStore(t)
	if err := s.PutProfile(named("acme")); err != nil {
		t.Fatal(err)
	}
	h := hold(t, s, "acme")
	good := []store.MatchDecision{{XSWerkgeverCode: "ACME", XSPersoneelsnummer: "1", AFASWerkgeverCode: "ACME", AFASPersoneelsnummer: "1"}}
	if err := h.RecordMatch(matchRun("m1", false), nil, good, store.MatchStatus{Run: "m1"}, nil); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]store.MatchDecision{
		"half an AFAS key": {XSWerkgeverCode: "ACME", XSPersoneelsnummer: "2", AFASWerkgeverCode: "ACME"},
		"no XS key":        {AFASWerkgeverCode: "ACME", AFASPersoneelsnummer: "2"},
	} {
		if err := h.RecordMatch(matchRun("m2", false), nil, []store.MatchDecision{bad}, store.MatchStatus{Run: "m2", Open: 1}, nil); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	run := matchRun("m3", false)
	run.Kind = ""
	if err := h.RecordMatch(run, nil, nil, store.MatchStatus{}, nil); err == nil {
		t.Errorf("a match recorded as a run")
	}
	if got, _ := h.MatchDecisions(); !slices.Equal(got, good) {
		t.Errorf("bad input changed the decisions: %v", got)
	}
	if runs, _ := s.Runs("acme"); len(runs) != 1 {
		t.Errorf("bad input recorded runs: %d", len(runs))
	}
}
