// Package archtest holds the import-layering rules of ../shared/ARCHITECTURE.md as data, and a
// test that checks every package of the module against them. The exceptions, if any are ever
// needed, are listed here and nowhere else.
package archtest

// Module is the import path prefix of this module.
const Module = "github.com/anchorpki/anchor"

// Layers maps each package (relative to Module) to its layer. A package may import only
// packages of lower layers; layer-0 packages may import each other. A package missing from this
// map fails the test, so every new package is placed deliberately.
var Layers = map[string]int{
	"cmd/anchor": 6, "internal/e2e": 6, // e2e holds only tests that drive the built binary
	"internal/cli": 5,
	"server":       4,
	"acmeserver":   3, "ocspresponder": 3, "config": 3, "acmeclient": 3, "tlsproxy": 3, "truststore": 3,
	"tlsinspect": 3, "restapi": 3, "web": 3,
	"ca": 2, "challenge": 2, "verify": 2, "crl": 2,
	"issuance": 1, "lint": 1, "policy": 1, "store": 1,
	"keys": 0, "csr": 0, "names": 0, "duration": 0, "revocation": 0, "acme": 0, "pemfile": 0, "inspect": 0, "apitoken": 0,
	"internal/atomicfile": 0, "internal/httplog": 0,
}

// TestOnly packages may be imported only from _test.go files.
var TestOnly = map[string]bool{"internal/testkit": true, "internal/testkit/dnsserver": true, "internal/testkit/catest": true, "internal/archtest": true}

// Exceptions are allowed imports that break the layering: "importer -> imported". Empty: keep it so.
var Exceptions = map[string]bool{}
