package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/token"
	"github.com/koppel-nl/koppel/sync/verify"
)

func (a *app) verifyCommand() *cobra.Command {
	var jsonOut bool
	c := a.command("verify", "verify", "NAME")
	c.Args = a.nArgs(1, 1, "cli.args.profile")
	c.ValidArgsFunction = a.profileNames
	a.flags(c.Flags()).boolVar(&jsonOut, "json", "", "cli.flag.json")
	c.RunE = func(_ *cobra.Command, args []string) error { return a.verify(args[0], jsonOut) }
	return c
}

func (a *app) verify(name string, jsonOut bool) error {
	s, p, err := a.openProfile(name)
	if err != nil {
		return err
	}
	s.Close() // a check can take a while; don't hold the store
	rep, err := verify.Profile(a.ctx, p)
	if err != nil {
		return failErr(err)
	}
	if rep.Outbox != "" {
		// The check's own words are English; say it in the UI language.
		if problem := a.outboxProblem(p.Delivery.Outbox); problem != "" {
			rep.Outbox = problem
		}
	}
	if rep.Connectors == nil {
		rep.Connectors = []verify.Connector{}
	}
	if jsonOut {
		if err := writeJSON(a.stdout, rep); err != nil {
			return err
		}
	} else {
		masked := token.MaskToken(p.Account.Token)
		switch {
		case rep.Unreachable != "":
			fmt.Fprintf(a.stdout, "%s\n", a.t("verify.unreachable", rep.Unreachable))
		case rep.TokenOK:
			fmt.Fprintf(a.stdout, "%s %s: %s\n", a.t("cli.verify.token"), masked, a.t("verify.token_ok"))
		default:
			fmt.Fprintf(a.stdout, "%s %s: %s (%s)\n", a.t("cli.verify.token"), masked, a.t("verify.token_bad"), rep.TokenMessage)
		}
		for _, c := range rep.Connectors {
			line := fmt.Sprintf("%-24s %s", c.ID, a.t("verify."+c.Status))
			if len(c.MissingFields) > 0 {
				line += ": " + a.t("verify.missing_fields", strings.Join(c.MissingFields, ", "))
			}
			if len(c.ExtraFields) > 0 {
				line += ": " + a.t("verify.extra_fields", strings.Join(c.ExtraFields, ", "))
			}
			if c.Message != "" && c.Status != verify.OK {
				line += " (" + c.Message + ")"
			}
			fmt.Fprintln(a.stdout, line)
		}
		dir := delivery.Dir(p.Delivery.Outbox, p.Name)
		if rep.Outbox != "" {
			fmt.Fprintf(a.stdout, "%-24s %s; %s\n", "outbox", rep.Outbox, a.t("cli.outbox.form"))
		} else {
			fmt.Fprintf(a.stdout, "%-24s %s\n", "outbox", a.t("cli.verify.outbox_ok", dir))
		}
		a.printVerifySFTP(rep.SFTP)
	}
	if !rep.OK() {
		return failMsg(a.t("verify.failed"))
	}
	return nil
}
