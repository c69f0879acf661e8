package api_test

import (
	"testing"

	"guildhall/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }
