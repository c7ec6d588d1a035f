package client_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that neither the tests nor the examples leave goroutines behind, so Close
// really releases the connection.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
