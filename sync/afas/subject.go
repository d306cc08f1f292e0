package afas

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/sync/afas/subjectgen"
)

// Attachment is an attachment written to disk: its size and SHA-256 (lower-case hex).
type Attachment struct {
	Size   int64
	SHA256 string
}

// SubjectURL is the URL of AppConnectorSubject.asmx beside a profile's AppConnectorGet.asmx:
// same host and path prefix.
func SubjectURL(getURL string) string {
	base, query, _ := strings.Cut(getURL, "?")
	i := strings.LastIndex(base, "/")
	if i < 0 {
		return getURL
	}
	out := base[:i+1] + "AppConnectorSubject.asmx"
	if query != "" {
		out += "?" + query
	}
	return out
}

// subjectName is the name an attachment call goes by in errors and retry messages.
const subjectName = "GetAttachment"

// DownloadAttachment streams attachment fileID of dossier item subjectID into a new file at
// path (0600; it must not exist yet), decoding the base64 as it arrives: the file is never held
// in memory, and decoding stops as soon as it passes maxBytes. The call goes through the
// client's pool and is retried like a page. On any error no file is left at path.
//
// Errors are *Error: FaultAttachmentMissing (AFAS has no such item or attachment),
// FaultNotBase64, FaultFileTooLarge, or the kinds of a GetConnector call; a failure to write the
// file is returned as it is (not an AFAS error).
func (c *Client) DownloadAttachment(ctx context.Context, subjectID int, fileID, path string, maxBytes int64) (Attachment, error) {
	part := path + ".part"
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Attachment{}, fmt.Errorf("attachment %d/%s: %w", subjectID, fileID, err)
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
			_ = os.Remove(part)
		}
	}()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 32<<10)
	var size int64
	err = c.retry(ctx, subjectName, func(timeout time.Duration) error {
		// What a failed attempt wrote is dropped.
		if err := resetFile(f, h, bw); err != nil {
			return &writeError{err}
		}
		n, err := c.attachmentOnce(ctx, subjectID, fileID, timeout, bw, maxBytes)
		size = n
		return err
	})
	if err == nil {
		if ferr := bw.Flush(); ferr != nil {
			err = ferr
		} else if ferr := f.Sync(); ferr != nil {
			err = ferr
		}
	}
	if err != nil {
		return Attachment{}, fmt.Errorf("attachment %d/%s: %w", subjectID, fileID, err)
	}
	if err := f.Close(); err != nil {
		return Attachment{}, fmt.Errorf("attachment %d/%s: %w", subjectID, fileID, err)
	}
	if err := os.Rename(part, path); err != nil {
		return Attachment{}, fmt.Errorf("attachment %d/%s: %w", subjectID, fileID, err)
	}
	keep = true
	return Attachment{Size: size, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func resetFile(f *os.File, h hash.Hash, bw *bufio.Writer) error {
	bw.Reset(io.MultiWriter(f, h))
	h.Reset()
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

func (c *Client) attachmentOnce(ctx context.Context, subjectID int, fileID string, timeout time.Duration, w io.Writer, maxBytes int64) (int64, error) {
	if err := c.pool.acquire(ctx); err != nil {
		return 0, err
	}
	defer c.pool.release()
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var n int64
	st := &callState{op: subjectName, stream: func(r io.Reader) error {
		var err error
		n, err = DecodeAttachment(r, w, maxBytes)
		return err
	}}
	if maxBytes > 0 {
		// base64 is 4/3 of the file, with line breaks and an envelope around it.
		st.maxBytes = maxBytes*2 + 1<<20
	}
	rctx = context.WithValue(rctx, callKey{}, st)
	_, err := c.subject.GetAttachmentContext(rctx, &subjectgen.GetAttachment{SubjectID: int32(subjectID), FileId: fileID})
	if err == nil {
		return n, nil
	}
	if ctx.Err() != nil {
		return n, ctx.Err()
	}
	return n, attachmentError(err, st.retryAfter)
}

var missingText = regexp.MustCompile(`(?i)does not exist|not found|niet gevonden|bestaat niet|unknown|onbekend`)

// attachmentError types what an attachment call returned: the attachment's own failures first,
// then those of any call.
func attachmentError(err error, hint time.Duration) error {
	var we *writeError
	var big *FileTooLargeError
	switch {
	case errors.As(err, &we):
		return we.err
	case errors.As(err, &big):
		return &Error{Kind: FaultFileTooLarge, Connector: subjectName, Message: big.Error(), Err: err}
	case errors.Is(err, ErrNotBase64):
		return &Error{Kind: FaultNotBase64, Connector: subjectName, Message: err.Error(), Err: err}
	}
	e := toError(subjectName, err, hint)
	var ae *Error
	if errors.As(e, &ae) && (ae.Kind == FaultConnectorMissing || ae.Kind == FaultOther && missingText.MatchString(ae.Message)) {
		ae.Kind = FaultAttachmentMissing
	}
	return e
}
