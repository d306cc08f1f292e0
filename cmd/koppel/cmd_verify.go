package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/koppel-nl/koppel/sync/token"
	"github.com/koppel-nl/koppel/sync/verify"
)

func (a *app) cmdVerify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	jsonOut := fs.Bool("json", false, "JSON output")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErr("verify: expected one profile name")
	}
	s, err := a.openStore()
	if err != nil {
		return err
	}
	p, err := a.loadProfile(s, pos[0])
	s.Close() // a check can take a while; don't hold the store
	if err != nil {
		return err
	}
	rep, err := verify.Profile(a.ctx, p)
	if err != nil {
		return failErr(err)
	}
	if *jsonOut {
		if err := writeJSON(a.stdout, rep); err != nil {
			return err
		}
	} else {
		switch {
		case rep.Unreachable != "":
			fmt.Fprintf(a.stdout, "%s\n", a.lang.T("verify.unreachable", rep.Unreachable))
		case rep.TokenOK:
			fmt.Fprintf(a.stdout, "token %s: %s\n", token.MaskToken(p.Account.Token), a.lang.T("verify.token_ok"))
		default:
			fmt.Fprintf(a.stdout, "token %s: %s (%s)\n", token.MaskToken(p.Account.Token), a.lang.T("verify.token_bad"), rep.TokenMessage)
		}
		for _, c := range rep.Connectors {
			line := fmt.Sprintf("%-24s %s", c.ID, a.lang.T("verify."+c.Status))
			if len(c.MissingFields) > 0 {
				line += ": " + a.lang.T("verify.missing_fields", strings.Join(c.MissingFields, ", "))
			}
			if len(c.ExtraFields) > 0 {
				line += ": " + a.lang.T("verify.extra_fields", strings.Join(c.ExtraFields, ", "))
			}
			if c.Message != "" && c.Status != verify.OK {
				line += " (" + c.Message + ")"
			}
			fmt.Fprintln(a.stdout, line)
		}
	}
	if !rep.OK() {
		return &exitError{exitFailed, fmt.Errorf("%s", a.lang.T("verify.failed"))}
	}
	return nil
}
