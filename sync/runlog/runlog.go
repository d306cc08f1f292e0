// Package runlog is the log of a run: entries about records, at the four levels Xpert Suite
// names. The rules write it, the store keeps it, the screens and the CLI show it.
package runlog

import "strings"

// Level is a log level, as Xpert Suite names them, from least to most serious.
type Level int

// The four log levels.
const (
	Metadata Level = iota
	Melding
	Waarschuwing
	Uitval
)

var levelNames = [...]string{"Metadata", "Melding", "Waarschuwing", "Uitval"}

func (l Level) String() string { return levelNames[l] }

// ParseLevel reads a level name.
func ParseLevel(s string) (Level, bool) {
	for i, n := range levelNames {
		if strings.EqualFold(n, s) {
			return Level(i), true
		}
	}
	return 0, false
}

// Log is one log entry about a record. Code names a message in the catalog; Args fill it. Args
// never carry a BSN.
type Log struct {
	Level  Level    `json:"level"`
	Entity string   `json:"entity"`
	Key    string   `json:"key"`
	Code   string   `json:"code"`
	Args   []string `json:"args,omitempty"`
}
