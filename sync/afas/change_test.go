package afas_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/afassim/afassimtest"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/values"
)

// An administrator changes AFAS while koppel reads: before every page a row is deleted, one
// inserted and one changed, before and after the cursor. Every row that existed throughout must
// be read exactly once, with its values — by a single read and by ranges read side by side.
func TestReadingUnderChangeLosesNothing(t *testing.T) {
	for _, role := range []string{connectors.Medewerkers, connectors.Dienstverbanden} {
		for _, ranges := range [][]afas.Range{{{}}, {{To: "100800"}, {From: "100800", To: "101600"}, {From: "101600"}}} {
			con, _ := connectors.ByRole(role)
			sim, url := afassimtest.Start(t, afassim.Options{Seed: 7, Employees: 2400, ChurnRows: 1})
			c, err := afas.New(afas.Config{URL: url, Token: sim.Token(), RetryBase: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			read := map[string]int{}
			vals := map[string]map[string]string{}
			var wg sync.WaitGroup
			errs := make(chan error, len(ranges))
			for _, rg := range ranges {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := c.Read(context.Background(), afas.Query{Connector: con.ID, Fields: con.Whitelist(""), Sort: con.Sort, Range: rg, Take: 200}, func(r afas.Row) error {
						var parts []string
						for _, k := range con.Sort {
							parts = append(parts, r.Get(k, afas.String).Text())
						}
						key := strings.Join(parts, afassim.KeySep)
						row := map[string]string{}
						for f, v := range r.All() {
							row[f] = v.Text()
						}
						mu.Lock()
						read[key]++
						vals[key] = row
						mu.Unlock()
						return nil
					})
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			stable := sim.Stable(con.ID)
			if len(stable) < 2000 || sim.Calls(con.ID) < 12 {
				t.Fatalf("%s: %d stable rows after %d calls; the churn did not run", con.ID, len(stable), sim.Calls(con.ID))
			}
			fields := sim.Fields(con.ID)
			for key, want := range stable {
				if read[key] != 1 {
					t.Errorf("%s %d ranges: %s read %d times", con.ID, len(ranges), key, read[key])
					continue
				}
				for i, f := range fields {
					if _, ok := con.Field(f); !ok {
						continue
					}
					got, ok := vals[key][f]
					if want[i] == "" && !ok {
						continue
					}
					if got != normalise(con, f, want[i]) {
						t.Errorf("%s %s: %s = %q, want %q", con.ID, key, f, got, want[i])
					}
				}
			}
		}
	}
}

// normalise writes a raw simulator value as the client's Text() does.
func normalise(con connectors.Connector, field, raw string) string {
	f, _ := con.Field(field)
	v, err := values.ParseValue(f.Kind, raw)
	if err != nil {
		return raw
	}
	return v.Text()
}
