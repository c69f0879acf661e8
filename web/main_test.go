package web_test

import (
	"testing"

	"guildhall/internal/testdb"
)

// TestMain stops the private PostgreSQL cluster testdb may start.
func TestMain(m *testing.M) { testdb.Main(m) }
