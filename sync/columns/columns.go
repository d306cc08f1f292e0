// Package columns fits a delivery file to the customer's Xpert Suite import configuration: its
// columns renamed, left out, added with a fixed value, or put first. The rules deliver rows in
// koppel's own columns, and the state keeps them so; only the written file takes the customer's
// shape, so changing a header is never a change of data.
package columns

import (
	"fmt"
	"slices"
	"strings"
)

// Config is one file's columns in the profile (delivery.columns.FILE).
type Config struct {
	Rename map[string]string `yaml:"rename,omitempty" json:"rename,omitempty"`
	Omit   []string          `yaml:"omit,omitempty" json:"omit,omitempty"`
	Add    map[string]string `yaml:"add,omitempty" json:"add,omitempty"`
	Order  []string          `yaml:"order,omitempty" json:"order,omitempty"`
}

// Problem is a column setting that cannot be applied: Key is its path below the file
// ("rename.Roepnaam"), Code names it in the catalog (profile.columns_CODE), Value is the name.
type Problem struct {
	Key, Code, Value string
}

// Layout is a file's header and how each of its columns is filled.
type Layout struct {
	header []string
	src    []int    // per column: the index of koppel's column, or -1 for a fixed value
	fixed  []string // per column: the fixed value where src is -1
}

// New builds the layout of a file with koppel's columns std (keys among them) and the profile's
// config. Every problem is reported; the layout is nil when there is one.
func New(std, keys []string, c Config) (*Layout, []Problem) {
	var ps []Problem
	bad := func(key, code, value string) { ps = append(ps, Problem{key, code, value}) }
	omitted := map[string]bool{}
	for _, o := range c.Omit {
		switch {
		case !slices.Contains(std, o):
			bad("omit", "unknown", o)
		case slices.Contains(keys, o):
			bad("omit", "key", o)
		default:
			omitted[o] = true
		}
	}
	names := map[string]string{} // koppel's column → its name in the file
	for _, col := range sortedKeys(c.Rename) {
		to := c.Rename[col]
		switch {
		case !slices.Contains(std, col):
			bad("rename."+col, "unknown", col)
		case strings.TrimSpace(to) == "":
			bad("rename."+col, "empty", to)
		case to != col && slices.Contains(std, to) && !omitted[to] && c.Rename[to] == "":
			bad("rename."+col, "onto", to)
		default:
			names[col] = to
		}
	}
	l := &Layout{}
	seen := map[string]bool{}
	addCol := func(name string, src int, fixed string) {
		if seen[name] {
			bad("", "duplicate", name)
			return
		}
		seen[name] = true
		l.header = append(l.header, name)
		l.src = append(l.src, src)
		l.fixed = append(l.fixed, fixed)
	}
	for i, col := range std {
		if omitted[col] {
			continue
		}
		name := col
		if n, ok := names[col]; ok {
			name = n
		}
		addCol(name, i, "")
	}
	for _, name := range sortedKeys(c.Add) {
		if strings.TrimSpace(name) == "" {
			bad("add", "empty", name)
			continue
		}
		addCol(name, -1, c.Add[name])
	}
	// Order: these first, in this order; the rest as they were.
	var first []int
	for _, name := range c.Order {
		i := slices.Index(l.header, name)
		if i < 0 {
			bad("order", "unknown", name)
			continue
		}
		if slices.Contains(first, i) {
			bad("order", "duplicate", name)
			continue
		}
		first = append(first, i)
	}
	if len(ps) > 0 {
		return nil, ps
	}
	order := append([]int(nil), first...)
	for i := range l.header {
		if !slices.Contains(first, i) {
			order = append(order, i)
		}
	}
	l.header, l.src, l.fixed = pick(l.header, order), pick(l.src, order), pick(l.fixed, order)
	return l, nil
}

func pick[T any](xs []T, order []int) []T {
	out := make([]T, len(order))
	for i, j := range order {
		out[i] = xs[j]
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Header is the file's header line.
func (l *Layout) Header() []string { return l.header }

// Row projects a row in koppel's columns onto the file's, reusing buf.
func (l *Layout) Row(vals, buf []string) []string {
	buf = buf[:0]
	for i, s := range l.src {
		if s < 0 {
			buf = append(buf, l.fixed[i])
		} else {
			buf = append(buf, vals[s])
		}
	}
	return buf
}

// Index is the position of a koppel column in the file, or -1 when it is left out.
func (l *Layout) Index(col int) int { return slices.Index(l.src, col) }

func (p Problem) String() string { return fmt.Sprintf("%s: %s %q", p.Key, p.Code, p.Value) }
