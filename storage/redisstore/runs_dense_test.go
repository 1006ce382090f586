package redisstore_test

import (
	"testing"

	"github.com/dialgate/dialgate/internal/teststores"
)

// A dense key (3,000 random values of 10,000, a third recorded an hour and
// a half before: kept past the window, not counted) answers run lengths as
// memstore does with a max step of 1,000 (more than the 500 values the
// script reads stamps of at a time) and of 100.
func TestRunsProgressionDenseKeyMatchesMemstore(t *testing.T) {
	url := redisURL(t)
	teststores.DenseRunsMatchMemstore(t, open(t, url, newPrefix(t, url)), 3000, 11)
}
