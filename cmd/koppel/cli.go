package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/i18n"
)

// Exit codes, as in cli-and-profile.md.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitBlocked = 3
)

// exitError carries an exit code with the message printed for it.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func usageErr(format string, args ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, args...)}
}

func failErr(err error) error { return &exitError{exitFailed, err} }

// app is one invocation: its streams, environment and global flags.
type app struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	db     string
	lang   i18n.Lang
}

const usage = `koppel — AFAS Profit → Xpert Suite

usage:
  koppel                              open the terminal UI
  koppel demo                         simulator + demo profile + terminal UI
  koppel afas-sim [--addr A] [--seed N] [--employees N] [--token DATA]
  koppel profile import FILE | list | show NAME | delete NAME
  koppel verify NAME [--json]
  koppel run NAME [--coupling werknemer|verzuim] [--dry-run] [--allow-deletes] [--json]
  koppel runs [NAME] [--json] | runs show RUN [--json] [--level L]
  koppel connectors [--json]

global: --db PATH (KOPPEL_DB), --lang nl|en (KOPPEL_LANG)
exit codes: 0 ok, 1 run or check failed, 2 usage or profile error, 3 blocked by a safety guard
`

// Main runs koppel with args and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	err := a.main(args)
	if err == nil {
		return exitOK
	}
	code := exitFailed
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "koppel:", err)
	return code
}

func (a *app) main(args []string) error {
	// Global flags may stand anywhere; take them out first.
	rest, err := a.globals(args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return a.cmdTUI()
	}
	cmd, rest := rest[0], rest[1:]
	switch cmd {
	case "demo":
		return a.cmdDemo(rest)
	case "afas-sim":
		return a.cmdSim(rest)
	case "profile":
		return a.cmdProfile(rest)
	case "verify":
		return a.cmdVerify(rest)
	case "run":
		return a.cmdRun(rest)
	case "runs":
		return a.cmdRuns(rest)
	case "connectors":
		return a.cmdConnectors(rest)
	case "help", "-h", "--help":
		fmt.Fprint(a.stdout, usage)
		return nil
	}
	return usageErr("unknown command %q\n\n%s", cmd, usage)
}

// globals removes --db and --lang (in any position) and applies their environment defaults.
func (a *app) globals(args []string) ([]string, error) {
	a.db = a.getenv("KOPPEL_DB")
	langText := a.getenv("KOPPEL_LANG")
	var rest []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !strings.HasPrefix(arg, "-") || (name != "db" && name != "lang") {
			rest = append(rest, arg)
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return nil, usageErr("--%s needs a value", name)
			}
			i++
			val = args[i]
		}
		if name == "db" {
			a.db = val
		} else {
			langText = val
		}
	}
	l, err := i18n.Parse(langText)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	a.lang = l
	if a.db == "" {
		a.db = defaultDB(a.getenv)
	}
	return rest, nil
}

func defaultDB(getenv func(string) string) string {
	base := getenv("XDG_DATA_HOME")
	if base == "" {
		home := getenv("HOME")
		if home == "" {
			home, _ = os.UserHomeDir()
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "koppel", "koppel.db")
}

// openStore opens the store with the key from KOPPEL_KEY, or the key file beside it.
func (a *app) openStore() (*store.Store, error) {
	var key []byte
	if v := a.getenv("KOPPEL_KEY"); v != "" {
		k, err := store.ParseKey(v)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		key = k
	}
	s, err := store.Open(a.db, key)
	if err != nil {
		return nil, failErr(err)
	}
	return s, nil
}

// parse parses a command's flags, allowing flags after positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageErr("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
