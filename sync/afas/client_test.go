package afas_test

import (
	"context"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/afassim/afassimtest"
	"github.com/koppel-nl/koppel/sync/connectors"
)

func startSim(t *testing.T, o afassim.Options) (*afassim.Server, string) {
	t.Helper()
	return afassimtest.Start(t, o)
}

func newClient(t *testing.T, url, token string, pageSize int) *afas.Client {
	t.Helper()
	c, err := afas.New(afas.Config{URL: url, Token: token, PageSize: pageSize, RetryBase: time.Millisecond, MaxRetryTime: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReadPagesSortedOnKey(t *testing.T) {
	sim, url := startSim(t, afassim.Options{Seed: 3, Employees: 120})
	con, _ := connectors.ByRole(connectors.Medewerkers)
	for _, size := range []int{1, 7, 1000} {
		c := newClient(t, url, sim.TokenData(), size)
		var keys []string
		st, err := c.Read(context.Background(), afas.Query{Connector: con.ID, Fields: con.Whitelist(""), Sort: con.Sort}, func(r afas.Row) error {
			keys = append(keys, r.Get("Medewerker", afas.String).Str)
			return nil
		})
		if err != nil {
			t.Fatalf("page size %d: %v", size, err)
		}
		if len(keys) != 120 || st.Rows != 120 {
			t.Fatalf("page size %d: read %d rows, want 120", size, len(keys))
		}
		seen := map[string]bool{}
		for i, k := range keys {
			if seen[k] {
				t.Fatalf("page size %d: %s read twice", size, k)
			}
			seen[k] = true
			if i > 0 && keys[i-1] >= k {
				t.Fatalf("page size %d: not sorted at %d: %s then %s", size, i, keys[i-1], k)
			}
		}
		// Pages with rows, then the empty page that confirms the end.
		if want := (120 + size - 1) / size; st.Pages != want || st.Calls != want+1 {
			t.Errorf("page size %d: %d pages in %d calls, want %d in %d", size, st.Pages, st.Calls, want, want+1)
		}
	}
}

func TestFaultsAreTyped(t *testing.T) {
	sim, url := startSim(t, afassim.Options{Seed: 1, Employees: 10, Omit: []string{"Koppel_Verzuim"}, Unauthorized: []string{"Koppel_Organisatie"}})
	c := newClient(t, url, sim.Token(), 100)
	ctx := context.Background()
	read := func(c *afas.Client, id string, sort ...string) error {
		_, err := c.Read(ctx, afas.Query{Connector: id, Fields: afas.Fields{}, Sort: sort}, func(afas.Row) error { return nil })
		return err
	}
	if err := read(c, "Koppel_Verzuim"); !afas.IsKind(err, afas.FaultConnectorMissing) {
		t.Errorf("missing connector: %v", err)
	}
	if err := read(c, "Koppel_Organisatie"); !afas.IsKind(err, afas.FaultNotAuthorized) {
		t.Errorf("unauthorized connector: %v", err)
	}
	if err := read(c, "Koppel_Medewerkers", "Geen_veld"); !afas.IsKind(err, afas.FaultFieldNotFound) {
		t.Errorf("unknown sort field: %v", err)
	}
	bad := newClient(t, url, "0000000000000000000000000000000000000000000000000000000000000000", 100)
	if err := read(bad, "Koppel_Medewerkers"); !afas.IsKind(err, afas.FaultInvalidToken) {
		t.Errorf("bad token: %v", err)
	}
}
