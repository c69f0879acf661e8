package web

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseProxies reads a comma-separated list of proxy addresses and networks
// ("10.0.0.0/8, 192.0.2.7, ::1") for Config.TrustedProxies.
func ParseProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is neither an address nor a network like 10.0.0.0/8", item)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// peerAddr is the address of whoever opened the connection.
func peerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// proxied reports whether r's forwarding headers are to be believed: the
// server trusts a proxy, and the peer is one of TrustedProxies when that
// list is given (otherwise any peer, the proxy in front, is).
func (s *Server) proxied(r *http.Request) bool {
	if !s.TrustProxy {
		return false
	}
	return len(s.TrustedProxies) == 0 || s.isTrustedProxy(peerAddr(r))
}

func (s *Server) isTrustedProxy(addr string) bool {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range s.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP returns the caller's address for rate limits. Behind trusted
// proxies it is the rightmost X-Forwarded-For entry that is not itself a
// trusted proxy: each proxy appends the address it saw, so everything to the
// left of that entry was written by the client and proves nothing (a client
// sending "X-Forwarded-For: 198.51.100.7" gets "198.51.100.7, <its own
// address>" and is counted by its own address). With TrustProxy alone
// (no list) only the proxy in front is trusted: the rightmost entry.
func (s *Server) clientIP(r *http.Request) string {
	peer := peerAddr(r)
	if !s.proxied(r) {
		return peer
	}
	entries := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(entries) - 1; i >= 0; i-- {
		entry := strings.TrimSpace(entries[i])
		if entry == "" {
			continue
		}
		a, err := netip.ParseAddr(entry)
		if err != nil {
			// Not what a proxy writes: the chain cannot be followed
			// further, so the last proxy that could be followed is
			// what is known of the client.
			return peer
		}
		if !s.isTrustedProxy(a.String()) {
			return a.Unmap().String()
		}
		peer = a.Unmap().String()
	}
	return peer
}
