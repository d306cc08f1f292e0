package afas

import (
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/sync/token"
)

// FaultKind classifies what went wrong talking to AFAS, so callers can decide to retry or stop.
type FaultKind int

// The kinds of AFAS failures. The first four are functional: retrying cannot help, the customer's
// AFAS administrator or the consultant must act.
const (
	FaultOther             FaultKind = iota // a SOAP fault AFAS did not explain further
	FaultInvalidToken                       // the token was refused
	FaultConnectorMissing                   // the GetConnector does not exist
	FaultNotAuthorized                      // the GetConnector is not in the App Connector, or blocked
	FaultFieldNotFound                      // a filter or sort names a field the connector lacks
	FaultEndpoint                           // HTTP 404/405: the URL is not an AppConnectorGet service
	FaultUnavailable                        // HTTP 503: maintenance; may carry a retry hint
	FaultTransport                          // connection refused/reset, timeout, truncated or garbled response
	FaultRedirect                           // AFAS answered with a redirect: the URL is wrong (never followed)
	FaultTooLarge                           // an answer above the byte cap
	FaultProtocol                           // answers no real AFAS gives: the same rows again, too many rows
	FaultAttachmentMissing                  // GetAttachment: the dossier item or attachment does not exist
	FaultNotBase64                          // GetAttachment: the answer's text is not base64
	FaultFileTooLarge                       // GetAttachment: the attachment is above the file cap
)

func (k FaultKind) String() string {
	return [...]string{"afas-fault", "invalid-token", "connector-missing", "not-authorized", "field-not-found", "wrong-endpoint", "unavailable", "transport", "redirect", "too-large", "protocol", "attachment-missing", "not-base64", "file-too-large"}[k]
}

// Error is a failed AFAS call. Message is AFAS's own text where it gave one.
type Error struct {
	Kind       FaultKind
	Connector  string
	Message    string
	Field      string // for FaultFieldNotFound
	Status     int    // HTTP status, 0 when no response arrived
	RetryAfter time.Duration
	Err        error // the underlying error, for transport failures
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = token.Clean(e.Err.Error(), maxMessage)
	}
	if e.Connector != "" {
		return fmt.Sprintf("AFAS %s (%s): %s", e.Connector, e.Kind, msg)
	}
	return fmt.Sprintf("AFAS (%s): %s", e.Kind, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the same call may succeed later: AFAS errors that are not functional
// (see FaultKind), maintenance, and transport failures.
func (e *Error) Temporary() bool {
	switch e.Kind {
	case FaultInvalidToken, FaultConnectorMissing, FaultNotAuthorized, FaultFieldNotFound, FaultEndpoint, FaultRedirect, FaultTooLarge, FaultProtocol,
		FaultAttachmentMissing, FaultNotBase64, FaultFileTooLarge:
		return false
	}
	return true
}

// IsKind reports whether err is an AFAS Error of kind k.
func IsKind(err error, k FaultKind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

var fieldNotFound = regexp.MustCompile(`(?i)field '([^']+)' not found`)

// classify turns AFAS's fault text into a kind. AFAS has no fault codes of its own worth relying on,
// so the message decides; unknown messages stay FaultOther and are retried.
func classify(status int, msg string) (FaultKind, string) {
	m := strings.ToLower(msg)
	switch {
	case status == 401 || strings.Contains(m, "token") && (strings.Contains(m, "invalid") || strings.Contains(m, "ongeldig") || strings.Contains(m, "niet geldig") || strings.Contains(m, "not valid")):
		return FaultInvalidToken, ""
	case status == 403 || strings.Contains(m, "not authorized") || strings.Contains(m, "not authorised") || strings.Contains(m, "geen toegang") || strings.Contains(m, "blocked") || strings.Contains(m, "geblokkeerd"):
		return FaultNotAuthorized, ""
	case strings.Contains(m, "does not exist") || strings.Contains(m, "bestaat niet"):
		return FaultConnectorMissing, ""
	case fieldNotFound.MatchString(msg):
		return FaultFieldNotFound, fieldNotFound.FindStringSubmatch(msg)[1]
	case status == 404 || status == 405:
		return FaultEndpoint, ""
	case status == 503:
		return FaultUnavailable, ""
	}
	return FaultOther, ""
}

// faultEnvelope is the part of a SOAP fault body koppel reads.
type faultEnvelope struct {
	Body struct {
		Fault *struct {
			Code   string `xml:"faultcode"`
			String string `xml:"faultstring"`
			Detail struct {
				Exception struct {
					Message string `xml:"Message"`
					Detail  string `xml:"Detail"`
				} `xml:"ProfitApplicationException"`
			} `xml:"detail"`
		} `xml:"Fault"`
	} `xml:"Body"`
}

// parseFault reads AFAS's message from an error response body (AFAS sends faults with HTTP 500).
// ok is false when the body holds no SOAP fault, e.g. an HTML page from a proxy.
func parseFault(body []byte) (msg string, ok bool) {
	var env faultEnvelope
	if xml.Unmarshal(body, &env) != nil || env.Body.Fault == nil {
		return "", false
	}
	f := env.Body.Fault
	msg = strings.TrimSpace(f.String)
	if d := strings.TrimSpace(f.Detail.Exception.Message); d != "" && d != msg {
		if msg == "" {
			msg = d
		} else {
			msg += ": " + d
		}
	}
	return msg, true
}
