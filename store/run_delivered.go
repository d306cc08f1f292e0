package store

// HasDelivery tells whether a run delivered files: an ok run that was not a preview. Screens and
// listings show "—" under delivered for every other run, so a failed, blocked or preview run
// never looks delivered.
func (r *Run) HasDelivery() bool { return r.Status == StatusOK && !r.DryRun && r.Delivery != "" }

// ErrorText is the run's error in a language: from its catalog code where it has one.
func (r *Run) ErrorText(t func(code string, args ...string) string) string {
	if r.ErrorCode != "" {
		return t(r.ErrorCode, r.ErrorArgs...)
	}
	return r.Error
}
