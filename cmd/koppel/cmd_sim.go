package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

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

func simFlags(fs *flag.FlagSet, o *afassim.Options) {
	fs.Int64Var(&o.Seed, "seed", 1, "dataset seed")
	fs.IntVar(&o.Employees, "employees", 250, "number of employees (up to 200,000)")
	fs.StringVar(&o.TokenData, "token", "", "the 64 hexadecimal characters of the token to accept (default: derived from the seed)")
	fs.Var((*listFlag)(&o.Omit), "omit", "leave connectors out, e.g. Koppel_Verzuim")
	fs.Var((*listFlag)(&o.Unauthorized), "unauthorized", "connectors that exist but are not authorised")
	fs.Var((*listFlag)(&o.Drop), "drop", "drop fields, e.g. Koppel_Medewerkers.BSN")
	fs.Var((*listFlag)(&o.Extra), "extra", "add fields beyond the whitelist, e.g. Koppel_Verzuim.Reden_verzuim")
	fs.Var((*listFlag)(&o.Rename), "rename", "rename connectors or fields, e.g. Koppel_Medewerkers=HR_Medewerkers or Koppel_Medewerkers.Email_werk=Email")
	fs.IntVar(&o.Revision, "revision", 0, "apply N rounds of small changes, as AFAS data evolves")
	fs.IntVar(&o.Faults.FailFirst, "fail-first", 0, "answer the first N requests with a server fault")
	fs.Float64Var(&o.Faults.Rate500, "fault-500", 0, "share of requests answered with an HTTP 500 fault")
	fs.Float64Var(&o.Faults.Rate503, "fault-503", 0, "share of requests answered with HTTP 503")
	fs.Float64Var(&o.Faults.RateReset, "fault-reset", 0, "share of connections reset")
	fs.Float64Var(&o.Faults.RateJunk, "fault-garbage", 0, "share of truncated responses")
	fs.DurationVar(&o.Faults.Slow, "slow", 0, "delay every answer")
	fs.DurationVar(&o.Faults.RetryAfter, "retry-after", time.Second, "Retry-After hint on 503 answers")
	fs.DurationVar(&o.Latency, "latency", 0, "delay every answer, e.g. 500ms; parallel calls wait side by side")
	fs.DurationVar(&o.RowCost, "row-cost", 0, "extra delay per row returned, e.g. 20us")
	fs.IntVar(&o.ChurnRows, "churn", 0, "before every data call, delete, insert and change N rows of the connector read")
}

func (a *app) cmdSim(args []string) error {
	fs := flag.NewFlagSet("afas-sim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	var o afassim.Options
	simFlags(fs, &o)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if o.Employees < 1 || o.Employees > 200_000 {
		return usageErr("--employees %d: expected 1 to 200000", o.Employees)
	}
	if o.TokenData != "" {
		if _, form, err := token.NormalizeToken(o.TokenData); err != nil || form != token.TokenData {
			return usageErr("--token: expected the 64 hexadecimal characters of a token")
		}
	}
	sim := afassim.New(o)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return failErr(fmt.Errorf("listen on %s: %w", *addr, err))
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(a.stdout, "listening on %s\n", base)
	fmt.Fprintf(a.stdout, "token %s\n", sim.Token())
	fmt.Fprintf(a.stdout, "url %s%s\n", base, afassim.Path)
	fmt.Fprintf(a.stdout, "employers %s; %d employees (seed %d)\n", strings.Join(sim.Employers(), ", "), o.Employees, o.Seed)
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
