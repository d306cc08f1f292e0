package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/profile"
)

// Exit codes, as in cli-and-profile.md.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitBlocked = 3
)

// exitError carries an exit code with the error printed for it. With usage set, the command's
// usage follows the message (a bad flag or argument).
type exitError struct {
	code  int
	err   error
	usage *cobra.Command
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr is a usage or profile error (exit 2) with a message already in the UI language.
func usageErr(msg string) error { return &exitError{code: exitUsage, err: errors.New(msg)} }

// usageFor is a usage error that shows the command's usage after the message.
func usageFor(c *cobra.Command, msg string) error {
	return &exitError{code: exitUsage, err: errors.New(msg), usage: c}
}

// failErr is a failure (exit 1); the error is rendered in the UI language when koppel knows its
// kind (store, AFAS), and as it is otherwise.
func failErr(err error) error { return &exitError{code: exitFailed, err: err} }

// failMsg is a failure with a message already in the UI language.
func failMsg(msg string) error { return failErr(errors.New(msg)) }

// app is one invocation: its streams, environment and global flags.
type app struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	lang   i18n.Lang
	// dbFlag and langFlag are the global flags as given.
	dbFlag   string
	langFlag string
}

func (a *app) t(code string, args ...string) string { return a.lang.T(code, args...) }

// Main runs koppel with args and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	a := &app{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	lang, err := scanLang(args, getenv)
	a.lang = lang
	if err != nil {
		fmt.Fprintln(stderr, "koppel:", err)
		return exitUsage
	}
	root := a.commands()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	_, err = root.ExecuteContextC(ctx)
	return a.exit(err)
}

// scanLang finds the UI language before the command line is parsed: the help texts and the
// parser's own errors are in it. A bad value is reported in the language KOPPEL_LANG names, or
// Dutch.
func scanLang(args []string, getenv func(string) string) (i18n.Lang, error) {
	fallback, envErr := i18n.Parse(getenv("KOPPEL_LANG"))
	val, set := "", false
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			break
		}
		if arg == "--lang" && i+1 < len(args) {
			val, set = args[i+1], true
			i++
		} else if v, ok := strings.CutPrefix(arg, "--lang="); ok {
			val, set = v, true
		}
	}
	if !set {
		if envErr != nil {
			return i18n.NL, errors.New(i18n.NL.T("cli.bad_lang_env", getenv("KOPPEL_LANG")))
		}
		return fallback, nil
	}
	l, err := i18n.Parse(val)
	if err != nil {
		return fallback, errors.New(fallback.T("cli.bad_lang", val))
	}
	return l, nil
}

// exit prints an error in the UI language and returns its exit code.
func (a *app) exit(err error) int {
	if err == nil {
		return exitOK
	}
	code, msg := a.explain(err)
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
	}
	if msg != "" {
		fmt.Fprintln(a.stderr, "koppel:", msg)
	}
	if ee != nil && ee.usage != nil {
		fmt.Fprintln(a.stderr)
		a.writeUsage(a.stderr, ee.usage)
	}
	return code
}

// explain renders the errors koppel knows by kind in the UI language, with their exit code.
func (a *app) explain(err error) (int, string) {
	var ee *exitError
	if errors.As(err, &ee) && ee.code == exitUsage {
		return exitUsage, ee.err.Error()
	}
	var damaged *store.DamagedError
	var held *store.HeldError
	var ae *afas.Error
	var perrs profile.Errors
	switch {
	case errors.As(err, &damaged):
		return exitFailed, a.t("cli.store_damaged", damaged.Path, damaged.Reason)
	case errors.Is(err, store.ErrKeyMissing):
		return exitFailed, a.t("cli.key_missing", a.dbPath()+".key")
	case errors.As(err, &held):
		return exitFailed, a.heldText(held)
	case errors.Is(err, store.ErrLocked):
		return exitFailed, a.t("cli.locked", a.dbPath())
	case errors.Is(err, context.Canceled):
		return exitFailed, a.t("cli.cancelled")
	case errors.As(err, &ae):
		return exitFailed, a.afasText(ae)
	case errors.As(err, &perrs):
		return exitUsage, perrs.Text(a.lang)
	}
	return exitFailed, err.Error()
}

func (a *app) heldText(held *store.HeldError) string {
	since := ""
	if !held.Since.IsZero() {
		since = held.Since.Local().Format("2006-01-02 15:04:05")
	}
	return a.t("run.held", held.Profile, fmt.Sprint(held.PID), held.Host, since)
}

// afasText explains a failed AFAS call: the connector, what kind of failure it is, and AFAS's
// own text.
func (a *app) afasText(e *afas.Error) string {
	kind := a.t("cli.afas." + e.Kind.String())
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Connector != "" {
		return a.t("cli.afas_error_connector", e.Connector, kind, msg)
	}
	return a.t("cli.afas_error", kind, msg)
}

// dbPath is the store's catalog file: --db, KOPPEL_DB, or the default.
func (a *app) dbPath() string {
	if a.dbFlag != "" {
		return a.dbFlag
	}
	if v := a.getenv("KOPPEL_DB"); v != "" {
		return v
	}
	return defaultDB(a.getenv)
}

// dbExplicit tells whether the store's place was given (--db or KOPPEL_DB).
func (a *app) dbExplicit() bool { return a.dbFlag != "" || a.getenv("KOPPEL_DB") != "" }

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
//
// Only commands that create profiles (create) make a store: the others open an existing one, and
// return nil without error when there is none yet. A store folder that does not exist is a usage
// error then, when the store's place was given: a mistyped --db must not answer "no profiles".
func (a *app) openStore(create bool) (*store.Store, error) {
	path := a.dbPath()
	var key []byte
	if v := a.getenv("KOPPEL_KEY"); v != "" {
		k, err := store.ParseKey(v)
		if err != nil {
			return nil, usageErr(a.t("cli.bad_key"))
		}
		key = k
	}
	if !create {
		dir := filepath.Dir(path)
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			if a.dbExplicit() {
				return nil, usageErr(a.t("cli.db_dir_missing", path, dir))
			}
			return nil, nil
		}
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			if _, err := os.Stat(path + ".d"); err != nil {
				return nil, nil
			}
		}
	}
	s, err := store.Open(path, key)
	if err != nil {
		return nil, failErr(err)
	}
	return s, nil
}

// needStore opens the store for a command that works on something in it: no store means the
// thing is unknown.
func (a *app) needStore(unknown string) (*store.Store, error) {
	s, err := a.openStore(false)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, usageErr(unknown)
	}
	return s, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// isTerminal tells whether a stream is a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// confirm asks a yes/no question on the terminal. With yes it does not ask; without a terminal
// it refuses (exit 2): a script must say --yes.
func (a *app) confirm(question string, yes bool) error {
	if yes {
		return nil
	}
	if !isTerminal(a.stdin) {
		return usageErr(question + "\n" + a.t("cli.needs_yes"))
	}
	fmt.Fprintf(a.stderr, "%s %s ", question, a.t("cli.yes_no"))
	line, _ := bufio.NewReader(a.stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "j", "ja", "y", "yes":
		return nil
	}
	return failMsg(a.t("cli.declined"))
}

// version is the module version and VCS revision the binary was built from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += " " + rev + modified
	}
	return v + " " + bi.GoVersion
}

// flagErr turns the parser's errors into messages in the UI language, with the usage.
func (a *app) flagErr(c *cobra.Command, err error) error {
	var notExist *pflag.NotExistError
	var needs *pflag.ValueRequiredError
	var invalid *pflag.InvalidValueError
	var syntax *pflag.InvalidSyntaxError
	msg := err.Error()
	switch {
	case errors.As(err, &notExist):
		name := "--" + notExist.GetSpecifiedName()
		if notExist.GetSpecifiedName() == "" {
			name = "-" + notExist.GetSpecifiedShortnames()
		}
		msg = a.t("cli.unknown_flag", name, c.CommandPath())
	case errors.As(err, &needs):
		msg = a.t("cli.flag_needs_value", "--"+needs.GetFlag().Name, a.flagValueName(needs.GetFlag()))
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		msg = a.t("cli.flag_invalid", "--"+f.Name, invalid.GetValue(), a.t("cli.form."+f.Value.Type()))
	case errors.As(err, &syntax):
		msg = a.t("cli.flag_syntax", syntax.GetSpecifiedFlag())
	}
	return usageFor(c, msg)
}
