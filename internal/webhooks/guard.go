package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"guildhall/internal/guildhall"
)

// Guard keeps deliveries away from the server's own network: an endpoint
// whose host resolves to a loopback, private, link-local or otherwise
// non-public address is refused when it is registered, and every
// connection is checked again at dial time, after DNS resolution, so a name
// that later resolves elsewhere (DNS rebinding) cannot reach inside either.
// AllowPrivate (--webhooks-allow-private) lifts both checks.
type Guard struct {
	AllowPrivate bool
	// Resolver looks names up; nil uses net.DefaultResolver.
	Resolver *net.Resolver
}

// errPrivate is the refusal of a non-public address.
var errPrivate = errors.New("the address is loopback, private or link-local")

// CheckURL refuses a URL whose host does not resolve or resolves to an
// address deliveries may not reach (a validation error of field "url").
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	var v guildhall.Validator
	guildhall.ValidateWebhookURL(&v, raw)
	if err := v.Err(); err != nil || g.AllowPrivate {
		return err
	}
	u, _ := url.Parse(raw) // ValidateWebhookURL parsed it already
	resolver := g.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := resolver.LookupNetIP(ctx, "ip", u.Hostname())
	if err != nil || len(addrs) == 0 {
		v.Add("url", fmt.Sprintf("The host %s could not be found.", u.Hostname()))
		return v.Err()
	}
	for _, a := range addrs {
		if !Public(a) {
			v.Add("url", fmt.Sprintf("The host %s resolves to %s, a loopback, private or link-local address; webhooks are delivered only to public addresses.", u.Hostname(), a.Unmap()))
			return v.Err()
		}
	}
	return nil
}

// Public reports whether deliveries may reach a: not loopback, private
// (RFC 1918, unique local), link-local, shared (100.64/10), unspecified or
// multicast.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && a.IsGlobalUnicast() && !a.IsPrivate() && !sharedSpace.Contains(a) && !thisNetwork.Contains(a)
}

var (
	sharedSpace = netip.MustParsePrefix("100.64.0.0/10")
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
)

// Client is the HTTP client deliveries use: the Timeout per attempt, no
// proxy, no redirects followed (a 3xx is an answer, and not a success), and
// the dial-time address check.
func (g *Guard) Client() *http.Client {
	dialer := &net.Dialer{Timeout: Timeout, Resolver: g.Resolver}
	if !g.AllowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("dial %s: %w", address, err)
			}
			if !Public(ap.Addr()) {
				return fmt.Errorf("dial %s: %w", address, errPrivate)
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: Timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   Timeout,
			ResponseHeaderTimeout: Timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
