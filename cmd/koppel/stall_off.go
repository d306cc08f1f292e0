//go:build !koppeltest

package main

import "github.com/koppel-nl/koppel/sync/engine"

// stalling is emit itself: the crash hook exists only in the test build (stall_koppeltest.go).
func (a *app) stalling(emit func(engine.Event)) func(engine.Event) { return emit }
