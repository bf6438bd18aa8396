package issuance_test

import (
	"crypto"
	"errors"
	"io"
	"testing"

	"github.com/anchorpki/anchor/issuance"
)

// faultySigner is a CA key gone bad, as an HSM or a swapped key file can: it fails to sign, or
// signs something its public key does not verify.
type faultySigner struct {
	crypto.Signer
	fail, corrupt bool
}

func (f faultySigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if f.fail {
		return nil, errors.New("token removed")
	}
	sig, err := f.Signer.Sign(r, digest, opts)
	if f.corrupt && err == nil {
		sig[len(sig)/2] ^= 0xff
	}
	return sig, err
}

func TestCheckKey(t *testing.T) {
	t.Parallel()
	for _, kk := range keyKinds {
		t.Run(kk.name, func(t *testing.T) {
			t.Parallel()
			_, _, inter := hierarchy(t, kk.gen)
			if err := inter.CheckKey(); err != nil {
				t.Fatalf("a sound intermediate key: %v", err)
			}
			key := kk.gen()
			for name, tc := range map[string]struct {
				s    faultySigner
				want error
			}{
				"corrupt": {faultySigner{Signer: key, corrupt: true}, issuance.ErrKeyUnusable},
				"failing": {faultySigner{Signer: key, fail: true}, nil},
			} {
				iss, err := issuance.NewSelfSigned(tc.s, issuance.Options{})
				if err != nil {
					t.Fatal(err)
				}
				err = iss.CheckKey()
				if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
					t.Errorf("%s signer: CheckKey = %v, want an error (%v)", name, err, tc.want)
				}
			}
		})
	}
}
