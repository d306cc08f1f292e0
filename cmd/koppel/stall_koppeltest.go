//go:build koppeltest

package main

import (
	"os"

	"github.com/koppel-nl/koppel/sync/engine"
)

// The end-to-end tests build koppel with -tags koppeltest; the shipped binary has no such hook
// (stall_off.go).

// stalling wraps an event function for the end-to-end test of a crash between upload and
// record (stallEnv); otherwise it is emit itself.
func (a *app) stalling(emit func(engine.Event)) func(engine.Event) {
	if a.getenv(stallEnv) != "after-upload" {
		return emit
	}
	return func(ev engine.Event) {
		emit(ev)
		if ev.Type == "upload" && ev.Upload.Status == engine.UploadSent {
			if f, ok := a.stdout.(*os.File); ok {
				_ = f.Sync()
			}
			<-a.ctx.Done() // until killed (or interrupted)
		}
	}
}
