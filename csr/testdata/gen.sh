#!/bin/sh
# Regenerates the openssl-made requests used as fuzz seeds and parse fixtures (OpenSSL 3.0).
# The keys are thrown away: the tests only need the requests.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/k" -subj "/C=US/O=Acme/CN=rsa.example" \
	-addext "subjectAltName=DNS:rsa.example,IP:10.0.0.1,email:a@rsa.example,URI:spiffe://example/rsa" \
	-out openssl-rsa.csr
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/k" \
	-subj "/CN=ec.example" -addext "subjectAltName=DNS:ec.example" -outform DER -out openssl-ec.der
openssl req -new -newkey ed25519 -nodes -keyout "$tmp/k" -subj "/CN=ed.example/O=a\/b" \
	-addext "subjectAltName=DNS:ed.example,DNS:*.ed.example" -out openssl-ed25519.csr
