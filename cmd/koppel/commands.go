package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// commands builds koppel's command tree in the UI language.
func (a *app) commands() *cobra.Command {
	root := a.command("root", "koppel")
	root.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return a.unknownCommand(c, args[0])
		}
		return nil
	}
	root.RunE = func(*cobra.Command, []string) error { return a.cmdTUI() }
	root.Version = version()
	root.SetVersionTemplate("koppel {{.Version}}\n")
	root.CompletionOptions.DisableDefaultCmd = true
	pf := a.flags(root.PersistentFlags())
	pf.stringVar(&a.dbFlag, "db", "", "", "cli.flag.db")
	pf.meta("db", "path", "KOPPEL_DB", "$XDG_DATA_HOME/koppel/koppel.db")
	pf.stringVar(&a.langFlag, "lang", "", "", "cli.flag.lang")
	pf.meta("lang", "lang", "KOPPEL_LANG", "nl")
	root.Flags().Bool("version", false, a.t("cli.flag.version"))
	root.SetFlagErrorFunc(a.flagErr)
	root.SetHelpFunc(func(c *cobra.Command, _ []string) { a.writeHelp(c.OutOrStdout(), c) })
	root.SetUsageFunc(func(c *cobra.Command) error { a.writeUsage(c.OutOrStderr(), c); return nil })

	root.AddCommand(a.demoCommand(), a.simCommand(), a.profileCommand(), a.verifyCommand(), a.runCommand(),
		a.runsCommand(), a.pushCommand(), a.explainCommand(), a.matchCommand(), a.periodsCommand(), a.columnsCommand(), a.connectorsCommand(), a.storeCommand(), a.completionCommand(root))
	root.SetHelpCommand(a.helpCommand(root))
	var addHelp func(c *cobra.Command)
	addHelp = func(c *cobra.Command) {
		c.Flags().BoolP("help", "h", false, a.t("cli.flag.help"))
		for _, s := range c.Commands() {
			addHelp(s)
		}
	}
	addHelp(root)
	return root
}

func (a *app) unknownCommand(c *cobra.Command, name string) error {
	msg := a.t("cli.unknown_command", name, c.CommandPath())
	c.SuggestionsMinimumDistance = 2
	if s := c.SuggestionsFor(name); len(s) > 0 {
		msg += " " + a.t("cli.did_you_mean", strings.Join(s, ", "))
	}
	return usageFor(c, msg)
}

// group makes a command that only holds subcommands: without one, or with an unknown one, it
// is a usage error (exit 2).
func (a *app) group(key, name string) *cobra.Command {
	g := a.command(key, name)
	g.Annotations = map[string]string{"group": "yes"}
	g.Args = cobra.ArbitraryArgs
	g.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageFor(c, a.t("cli.need_sub", c.CommandPath()))
		}
		return a.unknownCommand(c, args[0])
	}
	return g
}

// nArgs accepts between min and max positional arguments; msg says what is expected.
func (a *app) nArgs(min, max int, msg string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return usageFor(c, a.t(msg))
		}
		return nil
	}
}

func (a *app) helpCommand(root *cobra.Command) *cobra.Command {
	h := a.command("help", "help", "[COMMAND…]")
	h.Args = cobra.ArbitraryArgs
	h.RunE = func(c *cobra.Command, args []string) error {
		target, rest, err := root.Find(args)
		if err != nil || len(rest) > 0 || target.Hidden {
			return usageFor(root, a.t("cli.unknown_help", strings.Join(args, " ")))
		}
		a.writeHelp(a.stdout, target)
		return nil
	}
	h.ValidArgsFunction = func(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		cur := root
		for _, arg := range args {
			next, _, err := cur.Find([]string{arg})
			if err != nil || next == cur {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			cur = next
		}
		var names []string
		for _, s := range cur.Commands() {
			if !s.Hidden {
				names = append(names, s.Name())
			}
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
	return h
}

func (a *app) completionCommand(root *cobra.Command) *cobra.Command {
	c := a.command("completion", "completion", "SHELL")
	c.ValidArgs = []string{"bash", "zsh", "fish", "powershell"}
	c.Args = a.nArgs(1, 1, "cli.completion_args")
	c.RunE = func(c *cobra.Command, args []string) error {
		switch args[0] {
		case "bash":
			return root.GenBashCompletionV2(a.stdout, true)
		case "zsh":
			return root.GenZshCompletion(a.stdout)
		case "fish":
			return root.GenFishCompletion(a.stdout, true)
		case "powershell":
			return root.GenPowerShellCompletionWithDesc(a.stdout)
		}
		return usageFor(c, a.t("cli.completion_args"))
	}
	return c
}

// profileNames completes profile names from the store, when there is one; it never creates one.
func (a *app) profileNames(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	s, err := a.openStore(false)
	if err != nil || s == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer s.Close()
	names, _ := s.ProfileNames()
	return names, cobra.ShellCompDirectiveNoFileComp
}
