package afassim

import (
	"bufio"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
)

// SubjectPath is where AppConnectorSubject.asmx answers, beside Path, as on real AFAS.
const SubjectPath = "/ProfitServices/AppConnectorSubject.asmx"

// DossierConnector is the standard id of the dossier items connector.
const DossierConnector = "Koppel_Dossieritems"

// Attachment is a simulated attachment: its bytes are generated from Seed as they are sent, so a
// large one costs no memory. A row of Koppel_Dossieritems without an Attachment is one AFAS
// answers with a fault ("bestaat niet").
type Attachment struct {
	Size int64
	Seed uint64
	// NotBase64 makes the answer's text something that is not base64.
	NotBase64 bool
}

// Content is the attachment's bytes.
func (a *Attachment) Content() io.Reader { return io.LimitReader(&pattern{seed: a.Seed}, a.Size) }

// pattern is an endless deterministic byte stream.
type pattern struct {
	seed uint64
	i    uint64
}

func (p *pattern) Read(b []byte) (int, error) {
	for k := range b {
		x := (p.seed+1)*0x9E3779B97F4A7C15 ^ p.i*0xBF58476D1CE4E5B9
		b[k] = byte(x >> 29)
		p.i++
	}
	return len(b), nil
}

// AttachmentKey keys Dataset.Attachments: "<Dossieritem>/<Bijlage_id>".
func AttachmentKey(subject int64, fileID string) string {
	return strconv.FormatInt(subject, 10) + "/" + fileID
}

// DossierTypes are the simulated dossier item types: code and description.
var DossierTypes = [][2]string{
	{"PVA", "Plan van aanpak"},
	{"ZMF", "Ziekmeldingsformulier"},
	{"AOK", "Arbeidsovereenkomst"},
	{"MED", "Medische informatie bedrijfsarts"},
	{"LBS", "Loonbeslag"},
}

// Sizes of the simulator's special attachments.
const (
	LargeAttachment    = 3 << 19  // 1.5 MiB
	TooLargeAttachment = 26 << 20 // above the default cap of 25 MB
)

// AwkwardNames are file names of the special attachments that test the safe name.
var AwkwardNames = []string{
	"../../etc/passwd",
	`map\sub/plan.pdf`,
	".verborgen",
	"Gespreksverslag één – café.pdf",
	strings.Repeat("lange-naam-", 17)[:176] + ".pdf",
	"",
}

// addDocuments fills Koppel_Dossieritems: for every fifth employee an item of one of the
// DossierTypes with one or two attachments, and on the first employees the special cases: an
// empty, a large and a too-large attachment, the awkward names, a missing attachment, one that is
// not base64, and an item of an employee AFAS does not have.
func (s *Server) addDocuments() {
	d := s.data
	t := d.Tables[DossierConnector]
	if t == nil {
		return
	}
	if d.Attachments == nil {
		d.Attachments = map[string]*Attachment{}
	}
	r := rand.New(rand.NewPCG(uint64(s.opts.Seed), 0x646f6373))
	emp := d.Tables["Koppel_Medewerkers"]
	var nrs []string
	for _, row := range emp.Rows {
		nrs = append(nrs, row[emp.Col("Medewerker")])
	}
	subject := int64(1000)
	guid := func() string {
		var b strings.Builder
		for i, n := range []int{8, 4, 4, 4, 12} {
			if i > 0 {
				b.WriteByte('-')
			}
			for k := 0; k < n; k++ {
				b.WriteByte("0123456789ABCDEF"[r.IntN(16)])
			}
		}
		return b.String()
	}
	item := func(nr string, typ [2]string, names []string, att func(k int) *Attachment) {
		subject++
		datum := d.Ref.AddDate(0, 0, -r.IntN(400))
		mod := datum.Add(time.Duration(1+r.IntN(48)) * time.Hour)
		for k, name := range names {
			id := guid()
			t.add(map[string]string{
				"Dossieritem": strconv.FormatInt(subject, 10), "Bijlage_id": id, "Medewerker": nr,
				"Type_dossieritem": typ[0], "Type_omschrijving": typ[1], "Datum": day(datum),
				"Bestandsnaam": name, "Gewijzigd_op": day(mod),
			})
			if a := att(k); a != nil {
				d.Attachments[AttachmentKey(subject, id)] = a
			}
		}
	}
	small := func(int) *Attachment { return &Attachment{Size: int64(200 + r.IntN(20_000)), Seed: r.Uint64()} }
	pva := DossierTypes[0]
	special := []struct {
		name string
		att  *Attachment
	}{
		{"leeg.txt", &Attachment{Size: 0, Seed: 1}},
		{"scan-groot.pdf", &Attachment{Size: LargeAttachment, Seed: 2}},
		{"video-uitleg.mp4", &Attachment{Size: TooLargeAttachment, Seed: 3}},
		{"weg.pdf", nil},
		{"kapot.pdf", &Attachment{Size: 100, Seed: 4, NotBase64: true}},
	}
	for _, n := range AwkwardNames {
		special = append(special, struct {
			name string
			att  *Attachment
		}{n, &Attachment{Size: int64(50 + len(n)), Seed: uint64(len(n)) + 10}})
	}
	// The special cases belong to employees a run delivers: one employment, begun, open-ended, in
	// a department that exists.
	dv := d.Tables["Koppel_Dienstverbanden"]
	org := d.Tables["Koppel_Organisatie"]
	units := map[string]bool{}
	for _, row := range org.Rows {
		units[row[org.Col("Organisatorische_eenheid")]] = true
	}
	rows := map[string]int{}
	good := map[string]bool{}
	for _, row := range dv.Rows {
		nr := row[dv.Col("Medewerker")]
		rows[nr]++
		good[nr] = row[dv.Col("Einddatum_contract")] == "" && !parseDay(row[dv.Col("Begindatum_contract")]).After(d.Ref) &&
			units[row[dv.Col("Organisatorische_eenheid_code")]]
	}
	var open []string
	for _, nr := range nrs {
		if good[nr] && rows[nr] == 1 {
			open = append(open, nr)
		}
	}
	if len(open) == 0 {
		open = nrs
	}
	for i, sp := range special {
		item(open[(i*7)%len(open)], pva, []string{sp.name}, func(int) *Attachment { return sp.att })
	}
	item("99999", pva, []string{"niet-in-dienst.pdf"}, small)
	for i, nr := range nrs {
		if i%5 != 0 {
			continue
		}
		typ := DossierTypes[(i/5)%len(DossierTypes)]
		names := []string{fmt.Sprintf("%s %s.pdf", typ[1], nr)}
		if i%15 == 0 {
			names = append(names, fmt.Sprintf("Bijlage %s.pdf", nr))
		}
		item(nr, typ, names, small)
	}
}

// subjectRequest is the body of GetAttachment.
type subjectRequest struct {
	XMLName   xml.Name
	Token     string `xml:"token"`
	SubjectID string `xml:"subjectID"`
	FileID    string `xml:"fileId"`
}

// serveSubject answers AppConnectorSubject.asmx: ?WSDL and GetAttachment, with the same token
// check, latency and injected faults as the GetConnectors. The base64 is written as it is
// generated.
func (s *Server) serveSubject(w http.ResponseWriter, r *http.Request) {
	inner, ok := s.soapBody(w, r, afas.SubjectWSDL)
	if !ok {
		return
	}
	var req subjectRequest
	if err := xml.Unmarshal(inner, &req); err != nil || req.XMLName.Local != "GetAttachment" {
		fault(w, http.StatusInternalServerError, "Server did not recognize the value of HTTP Header SOAPAction: "+r.Header.Get("SOAPAction"))
		return
	}
	if !s.authorized(w, r, req.Token) {
		return
	}
	subject, _ := strconv.ParseInt(strings.TrimSpace(req.SubjectID), 10, 64)
	s.mu.Lock()
	var att Attachment
	a, found := s.data.Attachments[AttachmentKey(subject, strings.TrimSpace(req.FileID))]
	if found {
		att = *a
	}
	s.attachmentCalls++
	s.mu.Unlock()
	if !found {
		fault(w, http.StatusInternalServerError, fmt.Sprintf("Bijlage %s van dossieritem %d bestaat niet", clipID(req.FileID), subject))
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteString(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body><GetAttachmentResponse xmlns="urn:Afas.Profit.Services"><GetAttachmentResult>`)
	if att.NotBase64 {
		bw.WriteString("Dit is geen base64 &amp; ook geen bestand!")
	} else {
		enc := base64.NewEncoder(base64.StdEncoding, bw)
		if _, err := io.Copy(enc, att.Content()); err != nil {
			return
		}
		_ = enc.Close()
	}
	bw.WriteString(`</GetAttachmentResult></GetAttachmentResponse></soap:Body></soap:Envelope>`)
	_ = bw.Flush()
}

// AttachmentCalls counts the GetAttachment calls answered (faults included, injected ones not).
func (s *Server) AttachmentCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attachmentCalls
}

func clipID(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

// reviseDocuments applies change round i to the documents: one attachment gets new content and
// a new Gewijzigd_op, as when an employer replaces a signed plan. It is one of the items with an
// awkward name: of type PVA, of an employee a run delivers.
func (s *Server) reviseDocuments(i int) {
	t := s.data.Tables[DossierConnector]
	var withContent []int
	for r, row := range t.Rows {
		subject, _ := strconv.ParseInt(row[t.Col("Dossieritem")], 10, 64)
		if a := s.data.Attachments[AttachmentKey(subject, row[t.Col("Bijlage_id")])]; a != nil && slices.Contains(AwkwardNames, row[t.Col("Bestandsnaam")]) {
			withContent = append(withContent, r)
		}
	}
	if len(withContent) == 0 {
		return
	}
	row := t.Rows[withContent[(i-1)%len(withContent)]]
	subject, _ := strconv.ParseInt(row[t.Col("Dossieritem")], 10, 64)
	a := s.data.Attachments[AttachmentKey(subject, row[t.Col("Bijlage_id")])]
	changed := *a
	changed.Seed += 1000 * uint64(i)
	s.data.Attachments[AttachmentKey(subject, row[t.Col("Bijlage_id")])] = &changed
	row[t.Col("Gewijzigd_op")] = day(s.data.Ref.Add(time.Duration(i) * time.Hour))
}
