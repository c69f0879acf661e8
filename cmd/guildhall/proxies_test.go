package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// A trusted proxy that is not an address or network stops serve before it
// starts anything, naming the flag.
func TestServeRefusesATrustedProxyThatIsNotAnAddress(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	err := serve(context.Background(), []string{"--trusted-proxies", "10.0.0.0/8, proxy.example"}, logger)
	if err == nil || !strings.Contains(err.Error(), "--trusted-proxies") || !strings.Contains(err.Error(), "proxy.example") {
		t.Fatalf("serve = %v, want an error naming --trusted-proxies and the bad entry", err)
	}
}
