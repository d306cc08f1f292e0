package afas

// The SOAP client is generated from the hand-written WSDL; gowsdl is pinned as a tool in go.mod.
//go:generate go tool gowsdl -o soapgen.go -p soapgen -d . AppConnectorGet.wsdl
//go:generate go tool gowsdl -o subjectgen.go -p subjectgen -d . AppConnectorSubject.wsdl

import _ "embed"

// WSDL is the service description koppel's client is generated from; the simulator serves it at
// ?WSDL like AFAS does.
//
//go:embed AppConnectorGet.wsdl
var WSDL []byte

// SubjectWSDL describes AppConnectorSubject.asmx, the service attachments are read from.
//
//go:embed AppConnectorSubject.wsdl
var SubjectWSDL []byte
