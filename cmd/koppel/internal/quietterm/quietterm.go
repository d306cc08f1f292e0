// Package quietterm keeps koppel from probing the terminal when the process starts.
//
// Bubble Tea v1 asks Lip Gloss for the terminal's background colour in its package init
// (tea_init.go). termenv then writes the query ESC ] 11 ; ? to stdout and waits up to five
// seconds for an answer that a silent terminal (script(1), many SSH and editor terminals) never
// gives, in every process that links Bubble Tea, whether it draws a UI or not.
//
// This package is initialised before Bubble Tea: it imports only os, and the language's
// initialisation order (packages sorted by import path; each step initialises the first one
// whose imports are done) puts github.com/koppel-nl/… before github.com/muesli/termenv, which
// lipgloss and so bubbletea need. Its init sets TERM=dumb, for which termenv sends no query;
// main calls Restore first thing, before anything reads TERM for colours. The TUI then decides
// its background once when it starts, without asking the terminal.
package quietterm

import "os"

// term is TERM as the process got it. Written once, by init, before main runs.
var term, hadTerm = os.LookupEnv("TERM")

func init() {
	_ = os.Setenv("TERM", "dumb")
}

// Restore puts TERM back as the process got it.
func Restore() {
	if hadTerm {
		_ = os.Setenv("TERM", term)
	} else {
		_ = os.Unsetenv("TERM")
	}
}
