// Command koppel couples AFAS Profit to Xpert Suite: it reads a customer's GetConnectors, maps
// them by the delivery rules, compares them with the last delivery and delivers import files.
// Without arguments it opens the terminal UI; every command also works headless for schedulers.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// First of all packages: keeps Bubble Tea's init from probing the terminal.
	"github.com/koppel-nl/koppel/cmd/koppel/internal/quietterm"
	"github.com/koppel-nl/koppel/sync/memlimit"
)

func main() {
	quietterm.Restore()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	memlimit.Start(ctx)
	code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
