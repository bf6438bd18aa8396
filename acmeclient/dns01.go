package acmeclient

import (
	"context"

	xacme "golang.org/x/crypto/acme"

	"github.com/anchorpki/anchor/acme"
)

// dnsHook publishes dns-01 TXT records (RFC 8555 §8.4) through a command, as lego's exec
// provider does: `CMD present _acme-challenge.example.com. VALUE` before the challenge is
// answered and `CMD cleanup _acme-challenge.example.com. VALUE` after. The command must return
// only once the record is visible to the CA's resolvers.
type dnsHook struct {
	cmd   string
	hooks HookRunner
}

// dnsName is the FQDN of the TXT record for domain, with its trailing dot; a wildcard's
// record is its base domain's (RFC 8555 §8.4).
func dnsName(domain string) string {
	return acme.DNS01Name(domain) + "."
}

func (d *dnsHook) present(ctx context.Context, cl *xacme.Client, domain string, ch *xacme.Challenge) error {
	v, err := cl.DNS01ChallengeRecord(ch.Token)
	if err != nil {
		return err
	}
	return d.hooks.DNS(ctx, d.cmd, "present", dnsName(domain), v)
}

func (d *dnsHook) cleanup(ctx context.Context, cl *xacme.Client, domain string, ch *xacme.Challenge) error {
	v, err := cl.DNS01ChallengeRecord(ch.Token)
	if err != nil {
		return err
	}
	return d.hooks.DNS(ctx, d.cmd, "cleanup", dnsName(domain), v)
}

func (d *dnsHook) close() error { return nil }
