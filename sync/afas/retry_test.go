package afas_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/afassim"
)

func TestTransientFailuresAreRetried(t *testing.T) {
	for _, kind := range []string{"500", "503", "reset", "garbage", "hang"} {
		t.Run(kind, func(t *testing.T) {
			sim, url := startSim(t, afassim.Options{Seed: 1, Employees: 30, Faults: afassim.Faults{FailFirst: 2, FailKind: kind}})
			var retries int
			c, _ := afas.New(afas.Config{URL: url, Token: sim.Token(), RetryBase: time.Millisecond, RequestTimeout: 300 * time.Millisecond,
				OnRetry: func(string, int, time.Duration, error) { retries++ }})
			st, err := c.Read(context.Background(), afas.Query{Connector: "Koppel_Medewerkers", Fields: afas.Fields{"Medewerker": afas.String}, Sort: []string{"Medewerker"}}, func(afas.Row) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			// Two failures, the page, and the empty page that confirms the end.
			if st.Rows != 30 || retries != 2 || sim.Requests() != 4 {
				t.Errorf("rows %d retries %d requests %d; want 30 rows after 2 retries in 4 requests", st.Rows, retries, sim.Requests())
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	sim, url := startSim(t, afassim.Options{Seed: 1, Employees: 5, Faults: afassim.Faults{FailFirst: 1, FailKind: "503", RetryAfter: time.Second}})
	c, _ := afas.New(afas.Config{URL: url, Token: sim.Token(), RetryBase: time.Millisecond})
	start := time.Now()
	if _, err := c.Read(context.Background(), afas.Query{Connector: "Koppel_Medewerkers", Fields: afas.Fields{}}, func(afas.Row) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("retried after %v, before the 1 s Retry-After hint", waited)
	}
}

func TestGivesUpOnAnAFASThatKeepsFailing(t *testing.T) {
	sim, url := startSim(t, afassim.Options{Seed: 1, Employees: 5, Faults: afassim.Faults{Rate500: 1}})
	c, _ := afas.New(afas.Config{URL: url, Token: sim.Token(), RetryBase: 10 * time.Millisecond, MaxRetryTime: 500 * time.Millisecond, MaxAttempts: 100})
	start := time.Now()
	_, err := c.Read(context.Background(), afas.Query{Connector: "Koppel_Organisatie", Fields: afas.Fields{}}, func(afas.Row) error { return nil })
	if err == nil {
		t.Fatal("no error")
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("gave up after %v, want within the 500 ms budget", took)
	}
	if !strings.Contains(err.Error(), "Koppel_Organisatie") || !strings.Contains(err.Error(), "Out of memory") || !strings.Contains(err.Error(), "gave up") {
		t.Errorf("error should name the connector and the last error: %v", err)
	}
	// Bounded in count too.
	sim2, url2 := startSim(t, afassim.Options{Seed: 1, Employees: 5, Faults: afassim.Faults{Rate500: 1}})
	c2, _ := afas.New(afas.Config{URL: url2, Token: sim2.Token(), RetryBase: time.Millisecond, MaxAttempts: 3})
	if _, err := c2.Read(context.Background(), afas.Query{Connector: "Koppel_Organisatie", Fields: afas.Fields{}}, func(afas.Row) error { return nil }); err == nil || sim2.Requests() != 3 {
		t.Errorf("%d requests, want 3: %v", sim2.Requests(), err)
	}
}

func TestFunctionalFaultsAreNotRetried(t *testing.T) {
	sim, url := startSim(t, afassim.Options{Seed: 1, Employees: 5, Omit: []string{"Koppel_Verzuim"}})
	c, _ := afas.New(afas.Config{URL: url, Token: sim.Token(), RetryBase: time.Millisecond})
	_, err := c.Read(context.Background(), afas.Query{Connector: "Koppel_Verzuim", Fields: afas.Fields{}}, func(afas.Row) error { return nil })
	if !afas.IsKind(err, afas.FaultConnectorMissing) || sim.Requests() != 1 {
		t.Errorf("%d requests for a missing connector: %v", sim.Requests(), err)
	}
	bad, _ := afas.New(afas.Config{URL: url, Token: strings.Repeat("1", 64), RetryBase: time.Millisecond})
	before := sim.Requests()
	_, err = bad.Read(context.Background(), afas.Query{Connector: "Koppel_Medewerkers", Fields: afas.Fields{}}, func(afas.Row) error { return nil })
	if !afas.IsKind(err, afas.FaultInvalidToken) || sim.Requests() != before+1 {
		t.Errorf("invalid token retried: %v", err)
	}
}

func TestWrongEndpointFailsAtOnce(t *testing.T) {
	sim, url := startSim(t, afassim.Options{Seed: 1, Employees: 5})
	c, _ := afas.New(afas.Config{URL: strings.TrimSuffix(url, afassim.Path) + "/verkeerd", Token: sim.Token(), RetryBase: time.Millisecond})
	_, err := c.Read(context.Background(), afas.Query{Connector: "Koppel_Medewerkers", Fields: afas.Fields{}}, func(afas.Row) error { return nil })
	if !afas.IsKind(err, afas.FaultEndpoint) || !strings.Contains(err.Error(), "404") {
		t.Errorf("wrong URL: %v", err)
	}
}
