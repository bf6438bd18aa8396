// Package acmeclient obtains and renews certificates from any ACME (RFC 8555) CA and keeps them
// in one directory, so a web server, `anchor proxy` or a deploy hook can pick them up.
//
// The protocol itself is golang.org/x/crypto/acme. This package adds what a complete client
// needs around it: the account key on disk (passphrase-encrypted when one is given), external
// account binding, the challenge solvers (http-01 standalone or webroot, tls-alpn-01
// standalone, dns-01 through a hook command), a fresh certificate key per issuance, atomic files,
// and the renewal decision from the server's renewal information (ARI, RFC 9773) with a fallback
// to two thirds of the lifetime. When renewing with ARI it names the certificate it replaces
// (RFC 9773 §5), which x/crypto/acme cannot send, with a newOrder of its own.
//
// One directory (Options.Dir) holds one certificate:
//
//	account.key    the ACME account key (PKCS#8, 0600; encrypted with Options.Passphrase)
//	key.pem        the certificate's private key (PKCS#8, 0600, never encrypted: servers read it)
//	cert.pem       the leaf certificate
//	chain.pem      the issuer certificates, leaf's issuer first
//	fullchain.pem  cert.pem then chain.pem
//	state.json     what Renew needs to do it again (see State)
//
// Every file is written atomically (a reader sees the old or the new content, never a mix);
// key.pem is written before the certificates, so a reader that checks the pair (tlsproxy's
// FileSource) sees a matching pair once the certificates are in place.
//
// Hooks are commands run with /bin/sh: the dns-01 hook as `CMD present FQDN VALUE` and `CMD
// cleanup FQDN VALUE` (FQDN with its trailing dot, the convention of lego's exec provider), the
// deploy hook as `CMD` with ANCHOR_CERT_DIR and ANCHOR_DOMAINS in its environment. They are the
// only external commands this package runs, and only those the caller configured.
package acmeclient
