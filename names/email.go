package names

import (
	"fmt"
	"strings"
)

// parseEmail checks an rfc822Name (RFC 5280 §4.2.1.6): a Mailbox of RFC 5321 §4.1.2, local@domain.
// The local part must be a dot-atom; quoted local parts are legal but so rare in certificates
// that accepting them would mostly let typos through. A non-ASCII local part would need an
// SmtpUTF8Mailbox otherName (RFC 9598), which is not supported. The domain is converted to
// A-labels and validated like a DNS name, without wildcards. The result has a lower-case domain
// and the local part unchanged (RFC 5321 §2.4: only the receiving host may interpret its case).
func parseEmail(v string) (string, error) {
	fail := func(why string) (string, error) {
		return "", &invalidError{ErrInvalidName, fmt.Sprintf("names: email address %q: %s", v, why)}
	}
	at := strings.LastIndexByte(v, '@')
	if at < 0 {
		return fail("no '@'")
	}
	local, domain := v[:at], v[at+1:]
	switch {
	case local == "":
		return fail("empty local part")
	case len(local) > 64:
		return fail(fmt.Sprintf("local part is %d octets, over the limit of 64 (RFC 5321 §4.5.3.1.1)", len(local)))
	case strings.HasPrefix(local, "\""):
		return fail("quoted local parts are not supported")
	case !isASCII(local):
		return fail("non-ASCII local part (needs SmtpUTF8Mailbox, RFC 9598, not supported)")
	case local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, ".."):
		return fail("local part has a leading, trailing or doubled dot (RFC 5321 §4.1.2 Dot-string)")
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c != '.' && !isAtext(c) {
			return fail(fmt.Sprintf("%q is not allowed in a local part (RFC 5322 §3.2.3 atext)", c))
		}
	}
	if domain == "" {
		return fail("empty domain")
	}
	if strings.HasPrefix(domain, "*") {
		return fail("wildcard domain")
	}
	if strings.HasPrefix(domain, "[") {
		return fail("address literals are not supported")
	}
	d, err := ToASCII(domain)
	if err != nil {
		return fail(reason(err, domain))
	}
	addr := local + "@" + d
	if len(addr) > 254 {
		// RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the angle brackets.
		return fail(fmt.Sprintf("%d octets long, over the limit of 254 (RFC 5321 §4.5.3.1.3)", len(addr)))
	}
	return addr, nil
}

// isAtext reports whether c is an RFC 5322 §3.2.3 atext character.
func isAtext(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}
