package profile

import (
	"bytes"
	"strings"

	"gopkg.in/yaml.v3"
)

// TokenEnvName is the environment variable an exported profile reads its token from:
// KOPPEL_TOKEN_ and the profile name in capitals, '-' as '_' (acme-zorg → KOPPEL_TOKEN_ACME_ZORG).
func TokenEnvName(name string) string {
	return "KOPPEL_TOKEN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Masked tells whether a token is the masked form koppel shows (…8aeb), not a token.
func Masked(tok string) bool { return strings.HasPrefix(strings.TrimSpace(tok), "…") }

// Comment is a YAML comment on a key of the profile file: Head above the key, Line after its
// value. Key is the dotted path, e.g. "account.token".
type Comment struct {
	Key, Head, Line string
}

// MarshalCommented writes the profile as YAML, like Marshal, with comments: head above the whole
// file (may be empty) and comments on keys. A comment on a key the YAML leaves out is dropped.
func (p *Profile) MarshalCommented(head string, comments []Comment) ([]byte, error) {
	var doc yaml.Node
	if err := doc.Encode(p); err != nil {
		return nil, err
	}
	doc.HeadComment = head
	for _, c := range comments {
		if k := findKey(&doc, strings.Split(c.Key, ".")); k != nil {
			k[0].HeadComment, k[1].LineComment = c.Head, c.Line
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	err := enc.Close()
	return b.Bytes(), err
}

// findKey returns the key and value nodes at a path of mapping keys, or nil.
func findKey(n *yaml.Node, path []string) []*yaml.Node {
	for n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != path[0] {
			continue
		}
		if len(path) == 1 {
			return n.Content[i : i+2]
		}
		return findKey(n.Content[i+1], path[1:])
	}
	return nil
}
