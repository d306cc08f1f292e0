// Package afassimtest serves the AFAS simulator for tests and benchmarks, as httptest does for
// plain handlers. It lives apart from the simulator so the koppel binary never links testing.
package afassimtest

import (
	"net/http/httptest"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
)

// Start serves a new simulator on loopback for the duration of a test (or benchmark) and returns
// it with the SOAP endpoint URL.
func Start(tb testing.TB, o afassim.Options) (*afassim.Server, string) {
	tb.Helper()
	sim := afassim.New(o)
	ts := httptest.NewServer(sim)
	tb.Cleanup(ts.Close)
	return sim, ts.URL + afassim.Path
}
