package ca

import (
	"crypto/rand"
	"io"
)

func randOrDefault(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}
