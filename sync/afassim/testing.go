package afassim

import (
	"net/http/httptest"
	"testing"
)

// Start serves a new simulator on loopback for the duration of a test (or benchmark) and returns
// it with the SOAP endpoint URL, as httptest does for plain handlers.
func Start(tb testing.TB, o Options) (*Server, string) {
	tb.Helper()
	sim := New(o)
	ts := httptest.NewServer(sim)
	tb.Cleanup(ts.Close)
	return sim, ts.URL + Path
}
