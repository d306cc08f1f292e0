package store

// HasDelivery tells whether a run delivered files: an ok run that was not a preview. Screens and
// listings show "—" under delivered for every other run, so a failed, blocked or preview run
// never looks delivered.
func (r *Run) HasDelivery() bool { return r.Status == StatusOK && !r.DryRun && r.Delivery != "" }
