package cli

import (
	"crypto"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/keys"
)

func (e *env) keyCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "key", Short: "Create private keys"}
	cmd.AddCommand(e.keyCreateCommand())
	return cmd
}

type keyCreated struct {
	Type      keys.Type `json:"type"`
	File      string    `json:"file"`
	Encrypted bool      `json:"encrypted"`
	PublicKey string    `json:"public_key"`
	KeyID     string    `json:"key_id"` // subject key identifier, hex: what certificates will carry
}

func (e *env) keyCreateCommand() *cobra.Command {
	var typ, out, passFile string
	var asJSON, force bool
	cmd := &cobra.Command{
		Use:   "create --out FILE",
		Short: "Generate a private key (PKCS#8, optionally passphrase-encrypted)",
		Long: `Generate a private key and write it as PKCS#8 PEM with mode 0600. With --passphrase-file
the key is encrypted (PBES2: PBKDF2-HMAC-SHA256 and AES-256-CBC), which openssl reads with
"openssl pkey -in FILE -passin file:PASSFILE".

Key types: ` + typeList(),
		Example: `  anchor key create --out server.key
  anchor key create --type rsa-4096 --out ca.key --passphrase-file pass.txt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("--out is required")
			}
			t, err := keys.ParseType(typ)
			if err != nil {
				return err
			}
			pass, err := e.readPassphrase(passFile, "")
			if err != nil {
				return err
			}
			k, pemBytes, err := e.generateKey(t, pass)
			if err != nil {
				return err
			}
			if err := writeAll([]outFile{{path: out, data: pemBytes, mode: 0o600, secret: true}}, force); err != nil {
				return err
			}
			res := keyCreated{Type: t, File: out, Encrypted: pass != nil, PublicKey: keys.Describe(k.Public()), KeyID: keyIDHex(k.Public())}
			return render(e.stdout, asJSON, res, func(w io.Writer) {
				enc := ""
				if res.Encrypted {
					enc = ", encrypted"
				}
				printf(w, "Wrote %s key to %s (%s%s)\n", res.Type, res.File, res.PublicKey, enc)
			})
		},
	}
	cmd.Flags().StringVar(&typ, "type", string(keys.DefaultType), "key type: "+typeList())
	cmd.Flags().StringVar(&out, "out", "", "file to write (required)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "encrypt the key with the passphrase in this file (first line)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing key file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func typeList() string {
	s := ""
	for i, t := range keys.Types() {
		if i > 0 {
			s += ", "
		}
		s += string(t)
	}
	return s
}

// generateKey makes a key of type t, with a spinner on a terminal, and its PEM (encrypted when
// pass is set): the one path every command that creates a key goes through.
func (e *env) generateKey(t keys.Type, pass []byte) (crypto.Signer, []byte, error) {
	done := progress(e.stderr, "generating "+string(t)+" key")
	k, err := keys.Generate(t, nil)
	done()
	if err != nil {
		return nil, nil, err
	}
	pemBytes, err := marshalKey(k, pass)
	if err != nil {
		return nil, nil, err
	}
	return k, pemBytes, nil
}

func marshalKey(k crypto.Signer, pass []byte) ([]byte, error) {
	if pass == nil {
		return keys.MarshalPEM(k)
	}
	return keys.MarshalEncryptedPEM(k, pass, keys.EncryptOptions{})
}

func keyIDHex(pub crypto.PublicKey) string {
	id, err := keys.SubjectKeyID(pub)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%x", id)
}

// loadKey reads a private key file, decrypting it with the passphrase file if given.
func (e *env) loadKey(path, passFile string) (crypto.Signer, error) {
	data, err := e.readInput(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pass, err := e.readPassphrase(passFile, "")
	if err != nil {
		return nil, err
	}
	k, err := keys.ParsePrivateKey(data, pass)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}
