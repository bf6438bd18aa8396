package challenge

import (
	"context"
	"fmt"
	"strings"

	"github.com/miekg/dns"

	"github.com/anchorpki/anchor/acme"
)

// maxTXTShown bounds how many TXT values an error repeats back: enough to spot a stale record,
// not so many that a zone full of SPF noise buries the detail.
const maxTXTShown = 5

// DNS01 validates a dns-01 challenge (RFC 8555 §8.4): a TXT record at _acme-challenge.<domain>
// must hold base64url(SHA-256(keyAuth)). A wildcard name is validated at its base domain. Any
// one of several TXT records may match, since a client validating example.com and
// *.example.com together publishes two. CNAMEs are followed, which is how delegating the
// _acme-challenge name to another zone works.
func (v *Validator) DNS01(ctx context.Context, domain, keyAuth string) error {
	if _, ok := ipIdentifier(domain); ok {
		return fmt.Errorf("challenge: dns-01 cannot validate an IP address (RFC 8738 §7)")
	}
	return v.attempt(ctx, "dns-01", domain, func(ctx context.Context) error {
		return v.dns01(ctx, domain, keyAuth)
	})
}

func (v *Validator) dns01(ctx context.Context, domain, keyAuth string) error {
	name := acme.DNS01Name(normalizeName(domain))
	want := acme.DNS01TXT(keyAuth)

	rrs, nx, err := v.dns.lookup(ctx, name, dns.TypeTXT)
	if err != nil {
		return err
	}
	if nx {
		return newError(DNS, nil, fmt.Sprintf("%s does not exist (NXDOMAIN); expected a TXT record %q there", name, want))
	}
	if len(rrs) == 0 {
		return newError(DNS, nil, fmt.Sprintf("no TXT records at %s; expected %q", name, want))
	}
	var seen []string
	for _, rr := range rrs {
		txt, ok := rr.(*dns.TXT)
		if !ok {
			continue
		}
		// One TXT record may be split into several character-strings of at most 255 bytes;
		// the value is their concatenation.
		val := strings.Join(txt.Txt, "")
		if val == want {
			return nil
		}
		seen = append(seen, val)
	}
	shown := seen
	if len(shown) > maxTXTShown {
		shown = shown[:maxTXTShown]
	}
	more := ""
	if len(seen) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(seen)-len(shown))
	}
	return newError(IncorrectResponse, nil, fmt.Sprintf("TXT records at %s: %q%s; none match the expected %q",
		name, shown, more, want))
}
