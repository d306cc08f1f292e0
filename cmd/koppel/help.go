package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Flag annotations for the help text: the value's placeholder, the environment variable that
// sets the flag and the default as shown (when it is not the flag's literal default).
const (
	annValue   = "koppel_value"
	annEnv     = "koppel_env"
	annDefault = "koppel_default"
)

// flagSet defines flags with their help text from the catalog: "cli.flag.NAME" (or
// "cli.flag.CMD.NAME" where one name means different things).
type flagSet struct {
	a  *app
	fs *pflag.FlagSet
}

func (a *app) flags(fs *pflag.FlagSet) flagSet { return flagSet{a, fs} }

func (f flagSet) meta(name, value, env, def string) {
	if value != "" {
		_ = f.fs.SetAnnotation(name, annValue, []string{f.a.t("cli.value." + value)})
	}
	if env != "" {
		_ = f.fs.SetAnnotation(name, annEnv, []string{env})
	}
	if def != "" {
		_ = f.fs.SetAnnotation(name, annDefault, []string{def})
	}
}

func (f flagSet) boolVar(p *bool, name, short, code string) {
	f.fs.BoolVarP(p, name, short, false, f.a.t(code))
}

func (f flagSet) stringVar(p *string, name, def, value, code string) {
	f.fs.StringVar(p, name, def, f.a.t(code))
	f.meta(name, value, "", "")
}

func (f flagSet) intVar(p *int, name string, def int, code string) {
	f.fs.IntVar(p, name, def, f.a.t(code))
	f.meta(name, "n", "", "")
}

func (f flagSet) int64Var(p *int64, name string, def int64, code string) {
	f.fs.Int64Var(p, name, def, f.a.t(code))
	f.meta(name, "n", "", "")
}

func (f flagSet) floatVar(p *float64, name string, def float64, code string) {
	f.fs.Float64Var(p, name, def, f.a.t(code))
	f.meta(name, "share", "", "")
}

func (f flagSet) durationVar(p *time.Duration, name string, def time.Duration, code string) {
	f.fs.DurationVar(p, name, def, f.a.t(code))
	f.meta(name, "duration", "", "")
}

func (f flagSet) listVar(p *[]string, name, code string) {
	f.fs.Var((*listFlag)(p), name, f.a.t(code))
	f.meta(name, "list", "", "")
}

// command makes a command whose texts come from the catalog: "cli.cmd.KEY" (one line) and
// "cli.cmd.KEY.long" (optional). use is the command's name with its arguments' placeholders
// as catalog codes ("run NAME" → "run NAAM").
func (a *app) command(key, name string, args ...string) *cobra.Command {
	use := name
	for _, arg := range args {
		use += " " + a.placeholder(arg)
	}
	c := &cobra.Command{Use: use, Short: a.t("cli.cmd." + key), SilenceErrors: true, SilenceUsage: true}
	if long := "cli.cmd." + key + ".long"; a.has(long) {
		c.Long = a.t(long)
	}
	c.Flags().SortFlags = true
	return c
}

// placeholder renders an argument placeholder: "NAME" → "NAAM"; "[NAME]" → "[NAAM]"; "NAME…" →
// "NAAM…".
func (a *app) placeholder(arg string) string {
	inner := strings.Trim(arg, "[]…")
	return strings.Replace(arg, inner, a.t("cli.value."+strings.ToLower(inner)), 1)
}

// has tells whether the catalog has a message (i18n.Has, in one place for the tests).
func (a *app) has(code string) bool { return a.t(code) != code }

// flagValueName is a flag's value placeholder.
func (a *app) flagValueName(f *pflag.Flag) string {
	if v := f.Annotations[annValue]; len(v) > 0 {
		return v[0]
	}
	if f.Value.Type() == "bool" {
		return ""
	}
	return a.t("cli.value.value")
}

// writeHelp writes a command's help: what it does, its usage, subcommands and flags.
func (a *app) writeHelp(w io.Writer, c *cobra.Command) {
	fmt.Fprintf(w, "%s — %s\n", c.CommandPath(), c.Short)
	if c.Long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(c.Long, "\n"))
	}
	fmt.Fprintln(w)
	a.writeUsage(w, c)
	if footer := "cli.cmd." + helpKey(c) + ".footer"; a.has(footer) {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(a.t(footer), "\n"))
	}
}

// helpKey is a command's key in the catalog: its path without "koppel", dots between.
func helpKey(c *cobra.Command) string {
	path := strings.Fields(c.CommandPath())[1:]
	if len(path) == 0 {
		return "root"
	}
	return strings.Join(path, ".")
}

// writeUsage writes how to call a command: usage line, subcommands, flags.
func (a *app) writeUsage(w io.Writer, c *cobra.Command) {
	fmt.Fprintf(w, "%s:\n", a.t("cli.help.usage"))
	for _, line := range a.usageLines(c) {
		fmt.Fprintf(w, "  %s\n", line)
	}
	var subs []*cobra.Command
	for _, s := range c.Commands() {
		if !s.Hidden && s.Name() != "help" {
			subs = append(subs, s)
		}
	}
	if len(subs) > 0 {
		fmt.Fprintf(w, "\n%s:\n", a.t("cli.help.commands"))
		width := 0
		for _, s := range subs {
			width = max(width, len([]rune(s.Use)))
		}
		for _, s := range subs {
			fmt.Fprintf(w, "  %s%s  %s\n", s.Use, strings.Repeat(" ", width-len([]rune(s.Use))), s.Short)
		}
	}
	local, global := c.LocalFlags(), c.InheritedFlags()
	if !c.HasParent() {
		local, global = c.LocalNonPersistentFlags(), c.PersistentFlags()
	}
	width := 0
	for _, fs := range []*pflag.FlagSet{local, global} {
		fs.VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				width = max(width, len([]rune(a.flagLeft(f))))
			}
		})
	}
	for _, part := range []struct {
		title string
		fs    *pflag.FlagSet
	}{{"cli.help.flags", local}, {"cli.help.global", global}} {
		if !part.fs.HasAvailableFlags() {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", a.t(part.title))
		part.fs.VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			left := a.flagLeft(f)
			fmt.Fprintf(w, "%s%s  %s%s\n", left, strings.Repeat(" ", width-len([]rune(left))), f.Usage, a.flagMeta(f))
		})
	}
	if len(subs) > 0 {
		fmt.Fprintf(w, "\n%s\n", a.t("cli.help.more", c.CommandPath()))
	}
}

// usageLines are a command's usage lines: its arguments, or its subcommands.
func (a *app) usageLines(c *cobra.Command) []string {
	flags := " [" + a.t("cli.help.flags_word") + "]"
	path := c.CommandPath()
	args := strings.TrimPrefix(c.Use, c.Name())
	var lines []string
	if c.Runnable() && (c.HasParent() || !c.HasAvailableSubCommands()) && c.Annotations["group"] == "" {
		lines = append(lines, path+args+flags)
	}
	if !c.HasParent() {
		lines = append(lines, path+flags+"  "+a.t("cli.help.root_tui"))
	}
	if c.HasAvailableSubCommands() {
		lines = append(lines, path+" "+a.t("cli.value.command")+flags)
	}
	return lines
}

func (a *app) flagLeft(f *pflag.Flag) string {
	left := "      --" + f.Name
	if f.Shorthand != "" {
		left = "  -" + f.Shorthand + ", --" + f.Name
	}
	if v := a.flagValueName(f); v != "" {
		left += " " + v
	}
	return left
}

// flagMeta is what follows a flag's description: its default and environment variable.
func (a *app) flagMeta(f *pflag.Flag) string {
	var parts []string
	def := f.DefValue
	if d := f.Annotations[annDefault]; len(d) > 0 {
		def = d[0]
	}
	switch def {
	case "", "false", "0", "[]", "0s":
	default:
		parts = append(parts, a.t("cli.help.default", def))
	}
	if e := f.Annotations[annEnv]; len(e) > 0 {
		parts = append(parts, a.t("cli.help.env", e[0]))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}
