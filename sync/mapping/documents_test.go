package mapping

import "testing"

// DeliveredAs: the number and employer documenten.csv names an employee's documents under — the
// employee's own (the employer of the included employment that started last), or in flex mode
// the person's under the flex employer; nothing for an employee who is not delivered.
func TestDeliveredAs(t *testing.T) {
	type want struct {
		nr, employer string
		ok           bool
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want map[string]want
	}{
		{"standard", baseConfig(), map[string]want{
			"101": {"101", "ACME", true},
			"102": {"102", "LABEL", true},
			"301": {"301", "ACME", true},
			"401": {}, // ended before date-from
			"999": {}, // not in AFAS
		}},
		{"flex", flexConfig(), map[string]want{
			"101": {"P1", "UZB", true}, // a record of P1: the person
			"102": {"P1", "UZB", true},
			"202": {"P2", "UZB", true},
			"301": {}, // no Persoonsnummer: not delivered
			"401": {},
			"999": {},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := flexInput()
			m := indexedMapper(tc.cfg, in)
			for medewerker, w := range tc.want {
				nr, employer, ok := m.DeliveredAs(medewerker)
				if (want{nr, employer, ok}) != w {
					t.Errorf("DeliveredAs(%s) = %q %q %v, want %q %q %v", medewerker, nr, employer, ok, w.nr, w.employer, w.ok)
				}
			}
		})
	}
}
