package web

import (
	"net/http/httptest"
	"testing"
)

func TestClientIPTakesTheAddressTheTrustedProxySaw(t *testing.T) {
	proxies, err := ParseProxies("10.0.0.0/8, 192.0.2.7, ::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		trust   bool
		list    bool
		peer    string
		forward []string // X-Forwarded-For headers, in order
		want    string
	}{
		{"no proxy: the peer, whatever the header", false, false, "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"one proxy: the entry it appended", true, false, "10.1.1.1:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"one proxy: a forged entry on the left proves nothing", true, false, "10.1.1.1:5000",
			[]string{"198.51.100.1, 203.0.113.10"}, "203.0.113.10"},
		{"one proxy: a second header is appended after the first", true, false, "10.1.1.1:5000",
			[]string{"198.51.100.1", "203.0.113.10"}, "203.0.113.10"},
		{"one proxy: no header is the peer", true, false, "10.1.1.1:5000", nil, "10.1.1.1"},
		{"a list: trusted hops are skipped from the right", true, true, "10.1.1.1:5000",
			[]string{"198.51.100.1, 203.0.113.10, 192.0.2.7, 10.2.2.2"}, "203.0.113.10"},
		{"a list: IPv6 and an IPv4-mapped hop", true, true, "[::1]:5000",
			[]string{"2001:db8::5, ::ffff:10.3.3.3"}, "2001:db8::5"},
		{"a list: a peer outside it is not believed", true, true, "203.0.113.50:5000",
			[]string{"198.51.100.1"}, "203.0.113.50"},
		{"a list: only trusted hops is the leftmost of them", true, true, "10.1.1.1:5000",
			[]string{"10.9.9.9, 192.0.2.7"}, "10.9.9.9"},
		{"garbage where the proxy writes: the last proxy followed", true, true, "10.1.1.1:5000",
			[]string{"198.51.100.1, not-an-address, 10.2.2.2"}, "10.2.2.2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{Config: Config{TrustProxy: tc.trust}}
			if tc.list {
				s.TrustedProxies = proxies
			}
			r := httptest.NewRequest("GET", "/login", nil)
			r.RemoteAddr = tc.peer
			for _, f := range tc.forward {
				r.Header.Add("X-Forwarded-For", f)
			}
			if got := s.clientIP(r); got != tc.want {
				t.Errorf("clientIP = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseProxiesRefusesWhatIsNotAnAddress(t *testing.T) {
	if _, err := ParseProxies("10.0.0.0/8, proxy.example"); err == nil {
		t.Error("a host name was taken as a trusted proxy")
	}
	if got, err := ParseProxies(" , "); err != nil || len(got) != 0 {
		t.Errorf("an empty list: %v, %v", got, err)
	}
}
