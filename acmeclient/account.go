package acmeclient

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	xacme "golang.org/x/crypto/acme"

	"github.com/anchorpki/anchor/internal/atomicfile"
	"github.com/anchorpki/anchor/keys"
)

// accountKey reads dir/account.key, or creates a P-256 key there (encrypted with the
// passphrase when one is set). P-256 because every ACME server accepts ES256.
func (c *Client) accountKey() (crypto.Signer, error) {
	path := filepath.Join(c.o.Dir, AccountKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := keys.ParsePrivateKey(b, c.o.Passphrase)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	k, err := keys.Generate(keys.ECP256, nil)
	if err != nil {
		return nil, err
	}
	var pemBytes []byte
	if len(c.o.Passphrase) > 0 {
		pemBytes, err = keys.MarshalEncryptedPEM(k, c.o.Passphrase, keys.EncryptOptions{})
	} else {
		pemBytes, err = keys.MarshalPEM(k)
	}
	if err != nil {
		return nil, err
	}
	// Create, not Write: two processes creating one account key must not both win.
	if err := atomicfile.Create(path, pemBytes, 0o600); err != nil {
		if errors.Is(err, atomicfile.ErrExists) {
			return c.accountKey()
		}
		return nil, err
	}
	return k, nil
}

// account returns the account URL of cl.Key: the one in the state when the server still knows
// the key, else a new registration (RFC 8555 §7.3), with the external account binding if given.
func (c *Client) account(ctx context.Context, cl *xacme.Client, st *State, eab *EAB) (string, error) {
	// RFC 8555 §7.3.1: onlyReturnExisting finds the account of a key without creating one.
	a, err := cl.GetReg(ctx, "")
	if err == nil {
		return a.URI, nil
	}
	if !errors.Is(err, xacme.ErrNoAccount) {
		if e, ok := errors.AsType[*xacme.Error](err); !ok || e.ProblemType != "urn:ietf:params:acme:error:accountDoesNotExist" {
			return "", fmt.Errorf("account: %w", wireError(err))
		}
	}
	acct := &xacme.Account{}
	if st.Email != "" {
		acct.Contact = []string{"mailto:" + st.Email}
	}
	if eab != nil {
		mac, err := decodeHMAC(eab.HMACKey)
		if err != nil {
			return "", fmt.Errorf("%w: external account binding MAC key: %v", ErrInvalidRequest, err)
		}
		acct.ExternalAccountBinding = &xacme.ExternalAccountBinding{KID: eab.KeyID, Key: mac}
	}
	a, err = cl.Register(ctx, acct, xacme.AcceptTOS)
	if err != nil {
		return "", fmt.Errorf("new account: %w", wireError(err))
	}
	c.log.InfoContext(ctx, "acme: account created", slog.String("account", a.URI))
	return a.URI, nil
}
