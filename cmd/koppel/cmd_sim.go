package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/token"
)

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func (l *listFlag) Type() string { return "list" }

func (a *app) simFlags(fs *pflag.FlagSet, o *afassim.Options) {
	f := a.flags(fs)
	f.int64Var(&o.Seed, "seed", 1, "cli.flag.sim.seed")
	f.intVar(&o.Employees, "employees", 250, "cli.flag.sim.employees")
	f.stringVar(&o.TokenData, "token", "", "data", "cli.flag.sim.token")
	f.listVar(&o.Omit, "omit", "cli.flag.sim.omit")
	f.listVar(&o.Unauthorized, "unauthorized", "cli.flag.sim.unauthorized")
	f.listVar(&o.Drop, "drop", "cli.flag.sim.drop")
	f.listVar(&o.Extra, "extra", "cli.flag.sim.extra")
	f.listVar(&o.Rename, "rename", "cli.flag.sim.rename")
	f.intVar(&o.Revision, "revision", 0, "cli.flag.sim.revision")
	f.intVar(&o.Faults.FailFirst, "fail-first", 0, "cli.flag.sim.fail_first")
	f.floatVar(&o.Faults.Rate500, "fault-500", 0, "cli.flag.sim.fault_500")
	f.floatVar(&o.Faults.Rate503, "fault-503", 0, "cli.flag.sim.fault_503")
	f.floatVar(&o.Faults.RateReset, "fault-reset", 0, "cli.flag.sim.fault_reset")
	f.floatVar(&o.Faults.RateJunk, "fault-garbage", 0, "cli.flag.sim.fault_garbage")
	f.durationVar(&o.Faults.Slow, "slow", 0, "cli.flag.sim.slow")
	f.durationVar(&o.Faults.RetryAfter, "retry-after", time.Second, "cli.flag.sim.retry_after")
	f.durationVar(&o.Latency, "latency", 0, "cli.flag.sim.latency")
	f.durationVar(&o.RowCost, "row-cost", 0, "cli.flag.sim.row_cost")
	f.intVar(&o.ChurnRows, "churn", 0, "cli.flag.sim.churn")
	f.boolVar(&o.Flex, "flex", "", "cli.flag.sim.flex")
	f.boolVar(&o.Documents, "documents", "", "cli.flag.sim.documents")
}

func (a *app) simCommand() *cobra.Command {
	var addr, xsDir string
	var o afassim.Options
	c := a.command("afas-sim", "afas-sim")
	c.Args = a.nArgs(0, 0, "cli.args.none")
	a.flags(c.Flags()).stringVar(&addr, "addr", "127.0.0.1:0", "addr", "cli.flag.sim.addr")
	a.simFlags(c.Flags(), &o)
	a.flags(c.Flags()).stringVar(&xsDir, "xs-export", "", "path", "cli.flag.sim.xs_export")
	c.RunE = func(c *cobra.Command, _ []string) error {
		if o.Employees < 1 || o.Employees > 200_000 {
			return usageFor(c, a.t("cli.employees", fmt.Sprint(o.Employees)))
		}
		if o.TokenData != "" {
			if _, form, err := token.NormalizeToken(o.TokenData); err != nil || form != token.TokenData {
				return usageFor(c, a.t("cli.sim.token"))
			}
		}
		for _, r := range []float64{o.Faults.Rate500, o.Faults.Rate503, o.Faults.RateReset, o.Faults.RateJunk} {
			if r < 0 || r > 1 {
				return usageFor(c, a.t("cli.sim.share"))
			}
		}
		return a.sim(addr, o, xsDir)
	}
	return c
}

func (a *app) sim(addr string, o afassim.Options, xsDir string) error {
	sim := afassim.New(o)
	// The export is on disk before the address is printed: whoever reads it may use both.
	var ex *afassim.XSExport
	if xsDir != "" {
		var err error
		if ex, err = sim.WriteXSExport(xsDir); err != nil {
			return failErr(err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return failMsg(a.t("cli.sim.listen", addr, err.Error()))
	}
	base := "http://" + ln.Addr().String()
	// The first lines are a contract (cli-and-profile.md): tests and scripts read them.
	fmt.Fprintf(a.stdout, "listening on %s\n", base)
	fmt.Fprintf(a.stdout, "token %s\n", sim.Token())
	fmt.Fprintf(a.stdout, "url %s%s\n", base, afassim.Path)
	fmt.Fprintln(a.stdout, a.t("cli.sim.data", strings.Join(sim.Employers(), ", "), fmt.Sprint(o.Employees), fmt.Sprint(o.Seed)))
	if ex != nil {
		fmt.Fprintln(a.stdout, a.t("cli.sim.xs_export", ex.Employees, ex.Absences, ex.Decisions))
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-a.ctx.Done():
		_ = srv.Close()
		return nil
	case err := <-done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return failErr(err)
	}
}
