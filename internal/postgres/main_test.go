package postgres

import (
	"testing"

	"guildhall/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }
