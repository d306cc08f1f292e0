package profile

import (
	"regexp"
	"strconv"

	"github.com/koppel-nl/koppel/sync/documents"
)

// Documenten is the document coupling: which dossier item types may be delivered, and the cap on
// one attachment.
type Documenten struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Types are the Type_dossieritem codes that may be delivered; no other type is ever read.
	Types []string `yaml:"types,omitempty" json:"types,omitempty"`
	// MaxFileMB caps one attachment (default 25): a larger one is Uitval, never delivered.
	MaxFileMB int `yaml:"max_file_mb,omitempty" json:"max_file_mb,omitempty"`
}

// MaxFileBytes is the cap on one attachment in bytes.
func (d Documenten) MaxFileBytes() int64 {
	if d.MaxFileMB <= 0 {
		return documents.DefaultMaxFileMB << 20
	}
	return int64(d.MaxFileMB) << 20
}

// defaults fills the cap of an enabled coupling; a disabled one stays out of the YAML.
func (d *Documenten) defaults() {
	if d.Enabled && d.MaxFileMB == 0 {
		d.MaxFileMB = documents.DefaultMaxFileMB
	}
}

// maxFileMB is the highest cap a profile may set: well above any document a case file needs.
const maxFileMB = 1024

var typeCodeRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,20}$`)

func (d Documenten) validate() Errors {
	var es Errors
	add := func(key, code, value string) { es = append(es, &Error{key, code, clip(value, maxEcho)}) }
	if d.Enabled && len(d.Types) == 0 {
		add("couplings.documenten.types", "doc_types", "")
	}
	seen := map[string]bool{}
	for i, t := range d.Types {
		key := "couplings.documenten.types[" + strconv.Itoa(i) + "]"
		switch {
		case !typeCodeRe.MatchString(t):
			add(key, "doc_type", t)
		case seen[t]:
			add(key, "doc_type_twice", t)
		}
		seen[t] = true
	}
	if d.MaxFileMB < 0 || d.MaxFileMB > maxFileMB {
		add("couplings.documenten.max_file_mb", "doc_max_file_mb", strconv.Itoa(d.MaxFileMB))
	}
	return es
}
