#!/bin/sh
# Regenerates the openssl-made fixtures (OpenSSL 3.0). Throwaway keys, for tests only.
#   root.pem         self-signed P-256 root, PEM
#   root.der         the same certificate, DER
#   bundle.pem       `openssl x509 -text` output of a leaf, then the root: text around PEM blocks
#   leaf.pem         a leaf certificate signed by the root
#   req.der          a DER certificate request
#   pkcs8.der        an Ed25519 key, PKCS#8 DER
#   rsa.der          an RSA key, PKCS#1 DER (openssl's "traditional" form)
#   ec.der           a P-256 key, SEC 1 DER
#   encrypted.der    the P-256 key, PBES2-encrypted PKCS#8 DER (passphrase "test")
#   key.pem          the root's key, PKCS#8 PEM
set -eu
cd "$(dirname "$0")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem \
	-subj "/CN=Test Root" -days 36500 -out root.pem
openssl x509 -in root.pem -outform DER -out root.der
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.pem \
	-subj "/CN=leaf.example" -addext "subjectAltName=DNS:leaf.example" -out leaf.csr
openssl x509 -req -in leaf.csr -CA root.pem -CAkey key.pem -set_serial 2 -days 36500 \
	-copy_extensions copy -out leaf.pem
openssl req -in leaf.csr -outform DER -out req.der
{ openssl x509 -in leaf.pem -noout -text; cat leaf.pem; echo "# the root"; cat root.pem; } > bundle.pem
openssl genpkey -algorithm ed25519 -outform DER -out pkcs8.der
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 -out rsa.pem
openssl rsa -in rsa.pem -traditional -outform DER -out rsa.der
openssl ec -in ec.pem -outform DER -out ec.der
openssl pkcs8 -topk8 -in ec.pem -v2 aes-256-cbc -passout pass:test -outform DER -out encrypted.der
rm -f ec.pem rsa.pem leaf.csr
