package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/verify"
)

// exitQueued: delivered to the outbox and recorded, but not (yet) uploaded over SFTP.
const exitQueued = 4

func (a *app) pushCommand() *cobra.Command {
	var jsonOut, yes bool
	var retryTime time.Duration
	var skip string
	c := a.command("push", "push", "NAME")
	c.Args = a.nArgs(1, 1, "cli.args.profile")
	c.ValidArgsFunction = a.profileNames
	f := a.flags(c.Flags())
	f.boolVar(&jsonOut, "json", "", "cli.flag.json_lines")
	f.durationVar(&retryTime, "retry-time", 100*time.Second, "cli.flag.push.retry_time")
	f.stringVar(&skip, "skip", "", "run", "cli.flag.push.skip")
	f.boolVar(&yes, "yes", "y", "cli.flag.push.yes")
	c.RunE = func(c *cobra.Command, args []string) error {
		if retryTime < 0 {
			return usageFor(c, a.t("cli.run.caps"))
		}
		s, err := a.needStore(a.unknownProfile(args[0]))
		if err != nil {
			return a.runFailed(jsonOut, args[0], err)
		}
		defer s.Close()
		if skip != "" {
			return a.skipUpload(s, args[0], skip, yes, jsonOut)
		}
		return a.push(s, args[0], engine.Options{MaxRetryTime: retryTime}, jsonOut)
	}
	return c
}

// skipUpload takes one delivery out of a profile's upload queue, after a confirmation that
// says what that means for Xpert Suite.
func (a *app) skipUpload(s *store.Store, name, runID string, yes, jsonOut bool) error {
	run, err := s.Run(runID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return a.runFailed(jsonOut, name, err)
	}
	if run != nil && run.Profile == name && uploadQueued(run) {
		question := a.t("cli.push.skip_confirm", runID, run.Delivery)
		if run.Mode == profile.ModeMutaties {
			question += "\n" + a.t("cli.push.skip_mutaties")
		}
		if err := a.confirm(question, yes); err != nil {
			return err
		}
	}
	// A run that is not queued (or not found) is refused by the engine, naming what is queued.
	skipped, left, err := engine.New(s).SkipUpload(a.ctx, name, runID, time.Now())
	if ferr := a.notStarted(jsonOut, name, err, skipped != nil); ferr != nil {
		return ferr
	}
	if jsonOut {
		status := store.UploadOK
		if left > 0 {
			status = store.UploadQueued
		}
		return writeJSON(a.stdout, struct {
			Event   string `json:"event"`
			Status  string `json:"status"` // ok: nothing left queued; queued
			Profile string `json:"profile"`
			Skipped string `json:"skipped"`
			Queued  int    `json:"queued"`
		}{"summary", status, name, skipped.ID, left})
	}
	fmt.Fprintln(a.stdout, a.t("cli.push.skipped", skipped.ID, strconv.Itoa(left)))
	return nil
}

func (a *app) push(s *store.Store, name string, opts engine.Options, jsonOut bool) error {
	emit := a.textEvents()
	if jsonOut {
		emit = func(ev engine.Event) { _ = writeJSON(a.stdout, a.jsonEvent(ev)) }
	}
	res, err := engine.New(s).Push(a.ctx, name, opts, a.stalling(emit))
	if ferr := a.notStarted(jsonOut, name, err, res != nil); ferr != nil {
		return ferr
	}
	errText := ""
	var qe *engine.QueueError
	if errors.As(err, &qe) {
		errText = a.t("cli.push.failed", qe.Run, a.t("run.upload_kind."+qe.Kind), qe.Detail())
	} else if err != nil {
		_, errText = a.explain(err)
	}
	if jsonOut {
		out := struct {
			Event  string `json:"event"`
			Status string `json:"status"` // ok: nothing left queued; queued
			*engine.PushResult
			Error string `json:"error,omitempty"`
		}{"summary", store.UploadOK, res, errText}
		if err != nil {
			out.Status = store.UploadQueued
		}
		_ = writeJSON(a.stdout, out)
	} else {
		sent := 0
		for _, d := range res.Pushed {
			if d.Status == engine.UploadSent {
				sent++
			}
		}
		switch {
		case len(res.Pushed) == 0:
			fmt.Fprintln(a.stdout, a.t("cli.push.nothing", name))
		default:
			fmt.Fprintln(a.stdout, a.t("cli.push.done", strconv.Itoa(sent), strconv.Itoa(res.Queued)))
		}
	}
	if err != nil {
		return &exitError{code: exitQueued, err: errors.New(errText)}
	}
	return nil
}

// uploadJSON is an upload event's wire form for --json.
func uploadJSON(ev *engine.UploadEvent) any {
	return struct {
		Event string `json:"event"`
		*engine.UploadEvent
	}{"upload", ev}
}

// uploadProgress prints an upload's progress on stderr.
func (a *app) uploadProgress(ev *engine.UploadEvent) {
	switch ev.Status {
	case engine.UploadStart:
		fmt.Fprintf(a.stderr, "» %s\n", a.t("cli.upload.start", ev.Run, strconv.Itoa(ev.N), strconv.Itoa(ev.Of)))
	case engine.UploadSent:
		if ev.AlreadyThere {
			fmt.Fprintf(a.stderr, "  %s\n", a.t("cli.upload.already", ev.Remote))
		} else {
			fmt.Fprintf(a.stderr, "  %s\n", a.t("cli.upload.sent", ev.Remote, a.plural(ev.Files, "cli.n.file"), strconv.FormatInt(ev.Bytes, 10)))
		}
	}
	// A failure is told by the run's log (a Waarschuwing with the error).
}

// uploadText is a delivery's upload state in the UI language: verzonden, in wachtrij (with the
// last error), or "" when the run uploads nothing.
func (a *app) uploadText(r *store.Run) string {
	u := r.Upload
	switch {
	case u != nil && !u.Skipped.IsZero():
		return a.t("cli.upload.state_skipped", u.Skipped.Local().Format("2006-01-02 15:04"))
	case u == nil || u.Status == store.UploadNone:
		return ""
	case u.Status == store.UploadOK && u.AlreadyThere:
		return a.t("cli.upload.state_already")
	case u.Status == store.UploadOK:
		return a.t("cli.upload.state_ok")
	case !r.HasDelivery():
		// A run that could not send the queue: it delivered nothing itself.
		return a.t("cli.upload.state_blocked", a.t("run.upload_kind."+u.ErrorKind), u.Error)
	case u.Error != "":
		return a.t("cli.upload.state_queued_error", a.t("run.upload_kind."+u.ErrorKind), u.Error)
	}
	return a.t("cli.upload.state_queued")
}

// printUpload adds the upload line to a run's summary.
func (a *app) printUpload(w io.Writer, r *store.Run) {
	if t := a.uploadText(r); t != "" {
		line := a.t("cli.upload.line", t)
		if r.Upload.Remote != "" {
			line += " (" + r.Upload.Remote + ")"
		}
		fmt.Fprintln(w, line)
	}
}

// uploadQueued tells whether a run's delivery (or an earlier one) waits for its upload: exit 4.
func uploadQueued(r *store.Run) bool { return r.Upload != nil && r.Upload.Status == store.UploadQueued }

// exportSFTP lets an exported profile read its SFTP key (and passphrase) from the environment,
// as it does the token: the key never goes into the file.
func (a *app) exportSFTP(p *profile.Profile) []profile.Comment {
	s := p.Delivery.SFTP
	if s == nil {
		return nil
	}
	env := profile.SFTPKeyEnvName(p.Name)
	comments := []profile.Comment{{Key: "delivery.sftp.key_env", Head: a.t("cli.export.sftp_key_env", env)}}
	s.KeyEnv = env
	if s.Passphrase != "" {
		s.KeyPassphraseEnv = profile.SFTPPassphraseEnvName(p.Name)
	}
	s.Key, s.Passphrase = "", ""
	return comments
}

// uploadSuffix is the upload state after a run's status in the runs listing.
func (a *app) uploadSuffix(r *store.Run) string {
	u := r.Upload
	switch {
	case u != nil && !u.Skipped.IsZero():
		return " · " + a.t("cli.upload.state_skipped_short")
	case u == nil || u.Status == store.UploadNone:
		return ""
	case u.Status == store.UploadQueued && u.ErrorKind != "" && !r.HasDelivery():
		return " · " + a.t("cli.upload.state_blocked_kind", a.t("run.upload_kind."+u.ErrorKind))
	case u.Status == store.UploadQueued && u.ErrorKind != "":
		return " · " + a.t("cli.upload.state_queued_kind", a.t("run.upload_kind."+u.ErrorKind))
	}
	return " · " + a.uploadText(r)
}

// printVerifySFTP prints koppel verify's SFTP line.
func (a *app) printVerifySFTP(v *verify.SFTP) {
	if v == nil {
		return
	}
	if v.OK {
		fmt.Fprintf(a.stdout, "%-24s %s\n", "sftp", a.t("cli.verify.sftp_ok", v.Remote, v.HostKeyFingerprint, v.KeyFingerprint))
		return
	}
	fmt.Fprintf(a.stdout, "%-24s %s\n", "sftp", a.t("cli.verify.sftp_bad", v.Remote, a.t("run.upload_kind."+v.Kind), v.Message))
}

// showSFTP says in profile show which SFTP key the store holds, by its fingerprint.
func (a *app) showSFTP(p *profile.Profile) []profile.Comment {
	if fp := p.Delivery.SFTP.KeyFingerprint(); fp != "" {
		return []profile.Comment{{Key: "delivery.sftp.url", Line: a.t("cli.show.sftp_key", fp)}}
	}
	return nil
}

// printQueued lists, below the runs, the deliveries still queued with their last error.
func (a *app) printQueued(runs []*store.Run) {
	first := true
	for _, r := range runs {
		if !r.HasDelivery() || !uploadQueued(r) {
			continue
		}
		if first {
			fmt.Fprintln(a.stdout)
			first = false
		}
		fmt.Fprintf(a.stdout, "%s %s: %s\n", r.ID, r.Profile, a.uploadText(r))
	}
}
