package profile

import (
	"strings"
	"testing"
)

// flex.enabled without flex.employer is refused naming the key; with it, the profile is read and
// the run's selection reads the placements; an unknown flex key is refused.
func TestFlexProfile(t *testing.T) {
	src := example(t)
	on := strings.Replace(src, "date_from:", "flex: {enabled: true}\ndate_from:", 1)
	_, err := Parse([]byte(on), "/", noenv)
	if err == nil || !strings.Contains(err.Error(), "flex.employer:") || !strings.Contains(err.Error(), "expected") {
		t.Errorf("flex without employer: %v", err)
	}
	long := strings.Replace(src, "date_from:", "flex: {enabled: true, employer: "+strings.Repeat("U", 41)+"}\ndate_from:", 1)
	if _, err := Parse([]byte(long), "/", noenv); err == nil || !strings.Contains(err.Error(), "flex.employer:") {
		t.Errorf("a 41-character flex employer: %v", err)
	}
	ok := strings.Replace(src, "date_from:", "flex: {enabled: true, employer: UZB}\ndate_from:", 1)
	ok = strings.Replace(ok, "verzuim: Koppel_Verzuim", "verzuim: Koppel_Verzuim\n  plaatsingen: HR_Plaatsingen", 1)
	p, err := Parse([]byte(ok), "/", noenv)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Flex.Enabled || p.Flex.Employer != "UZB" || p.ConnectorID("plaatsingen") != "HR_Plaatsingen" {
		t.Errorf("parsed %+v, connector %s", p.Flex, p.ConnectorID("plaatsingen"))
	}
	if roles := strings.Join(p.Roles(p.Enabled()), ","); roles != "organisatie,medewerkers,dienstverbanden,verzuim,plaatsingen" {
		t.Errorf("flex roles %s", roles)
	}
	p.Flex.Enabled = false
	if roles := strings.Join(p.Roles(p.Enabled()), ","); strings.Contains(roles, "plaatsingen") {
		t.Errorf("flex off still reads the placements: %s", roles)
	}
	bad := strings.Replace(src, "date_from:", "flex: {enabled: true, employer: UZB, werkgever: X}\ndate_from:", 1)
	if _, err := Parse([]byte(bad), "/", noenv); err == nil || !strings.Contains(err.Error(), "werkgever") {
		t.Errorf("unknown flex key: %v", err)
	}
	off := strings.Replace(src, "date_from:", "flex: {enabled: false}\ndate_from:", 1)
	if _, err := Parse([]byte(off), "/", noenv); err != nil {
		t.Errorf("flex off without employer: %v", err)
	}
}
