package profile

import (
	"slices"
	"strings"
	"testing"
)

func withDocumenten(t *testing.T, block string) string {
	t.Helper()
	src := example(t)
	at := "date_from: 2022-01-31"
	return strings.Replace(src, at, "  documenten:\n"+block+at, 1)
}

func TestDocumentenProfile(t *testing.T) {
	p, err := Parse([]byte(withDocumenten(t, "    enabled: true\n    types: [PVA, ZMF]\n")), "/", noenv)
	if err != nil {
		t.Fatal(err)
	}
	d := p.Couplings.Documenten
	if !slices.Equal(d.Types, []string{"PVA", "ZMF"}) || d.MaxFileMB != 25 || d.MaxFileBytes() != 25<<20 {
		t.Errorf("parsed %+v; want the types and the default cap of 25 MB", d)
	}
	if !slices.Contains(p.Enabled(), CouplingDocumenten) || !p.Selection(p.Enabled()).Documenten {
		t.Errorf("enabled %v", p.Enabled())
	}
	if p.ConnectorID("dossieritems") != "Koppel_Dossieritems" {
		t.Errorf("connector id %s", p.ConnectorID("dossieritems"))
	}
	// A profile without the coupling stays as it was.
	plain, err := Parse([]byte(example(t)), "/", noenv)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := plain.Marshal()
	if strings.Contains(string(out), "documenten") || slices.Contains(plain.Enabled(), CouplingDocumenten) {
		t.Errorf("a profile without documenten gains it:\n%s", out)
	}
	// Only documenten is a valid profile too.
	only := strings.Replace(strings.Replace(withDocumenten(t, "    enabled: true\n    types: [PVA]\n"), "  werknemer:\n    enabled: true", "  werknemer:\n    enabled: false", 1), "  verzuim:\n    enabled: true", "  verzuim:\n    enabled: false", 1)
	if _, err := Parse([]byte(only), "/", noenv); err != nil {
		t.Errorf("documenten only: %v", err)
	}
}

func TestDocumentenValidation(t *testing.T) {
	tests := []struct{ block, key string }{
		{"    enabled: true\n", "couplings.documenten.types"},
		{"    enabled: true\n    types: []\n", "couplings.documenten.types"},
		{"    enabled: true\n    types: [PVA, \"a b\"]\n", "couplings.documenten.types[1]"},
		{"    enabled: true\n    types: [\"\"]\n", "couplings.documenten.types[0]"},
		{"    enabled: true\n    types: [PVA, PVA]\n", "couplings.documenten.types[1]"},
		{"    enabled: true\n    types: [PVA]\n    max_file_mb: 2000\n", "couplings.documenten.max_file_mb"},
		{"    enabled: true\n    types: [PVA]\n    max_file_mb: -1\n", "couplings.documenten.max_file_mb"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(withDocumenten(t, tt.block)), "/", noenv)
		if err == nil || !strings.Contains(err.Error(), tt.key+":") || !strings.Contains(err.Error(), "expected") {
			t.Errorf("%q: error %v, want one naming %s and the expected form", tt.block, err, tt.key)
		}
	}
	for _, ok := range []string{"    enabled: true\n    types: [PVA]\n    max_file_mb: 1024\n", "    enabled: false\n", "    enabled: true\n    types: [A.1_b-2]\n    max_file_mb: 1\n"} {
		if _, err := Parse([]byte(withDocumenten(t, ok)), "/", noenv); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}
