package tui

import (
	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/sftp"
	"github.com/koppel-nl/koppel/sync/verify"
)

// uploadText is a run's SFTP upload state in the UI language (verzonden, in wachtrij with the
// last error), or "" when the run uploads nothing.
func uploadText(e *env, r *store.Run) string {
	u := r.Upload
	kind := func() string { return e.t("run.upload_kind." + u.ErrorKind) }
	switch {
	case u != nil && !u.Skipped.IsZero():
		return e.t("tui.upload.skipped", u.Skipped.Local().Format("2006-01-02 15:04"))
	case u == nil || u.Status == store.UploadNone:
		return ""
	case u.Status == store.UploadOK && u.AlreadyThere:
		return e.t("tui.upload.already")
	case u.Status == store.UploadOK:
		return e.t("tui.upload.ok")
	case !r.HasDelivery():
		return e.t("tui.upload.blocked", kind(), u.Error)
	case u.Error != "":
		return e.t("tui.upload.queued_error", kind(), u.Error)
	}
	return e.t("tui.upload.queued")
}

// uploadLine is uploadText as a line of its own, styled by its state ("" when there is none).
func uploadLine(e *env, r *store.Run) string {
	t := uploadText(e, r)
	if t == "" {
		return ""
	}
	line := hang(e.t("tui.upload.line", t), e.width, 2)
	if r.Upload.Status == store.UploadOK {
		return e.st.ok.Render(line) + "\n"
	}
	return e.st.warn.Render(line) + "\n"
}

// sftpCheckLine is the verify screen's line for the SFTP login ("" without SFTP).
func sftpCheckLine(e *env, v *verify.SFTP) string {
	switch {
	case v == nil:
		return ""
	case v.OK:
		return e.st.ok.Render("✓ ") + hang(e.t("tui.verify.sftp_ok", v.Remote, v.HostKeyFingerprint), e.width, 2) + "\n"
	}
	return "\n" + e.st.bad.Render("✗ ") + hang(e.t("tui.verify.sftp_bad", v.Remote, e.t("run.upload_kind."+v.Kind), v.Message), e.width, 2) + "\n"
}

// uploading says which delivery a run is uploading, after its busy line ("" when none).
func uploading(e *env, ev *engine.UploadEvent) string {
	if ev == nil || ev.Status != engine.UploadStart {
		return ""
	}
	return " · " + e.t("tui.upload.busy", ev.Run, itoa(ev.N), itoa(ev.Of))
}

// sftpSummary is delivery.sftp in the profile's summary: where, with which key and host key.
func sftpSummary(e *env, s *profile.SFTP) string {
	if s == nil {
		return ""
	}
	host := e.t("tui.sftp.summary_known_hosts", s.KnownHosts)
	if s.HostKey != "" {
		if fp, err := sftp.HostKeyFingerprint(s.HostKey); err == nil {
			host = e.t("tui.sftp.summary_host_key", fp)
		}
	}
	return e.t("tui.sftp.summary", s.URL, s.KeyFingerprint(), host)
}
