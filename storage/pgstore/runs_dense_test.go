package pgstore_test

import (
	"testing"

	"github.com/dialgate/dialgate/internal/teststores"
)

// A dense key (1,200 random values of 10,000, a third recorded an hour and
// a half before: kept past the window, not counted) answers run lengths as
// memstore does with a max step of 1,000 and of 100: the progression query
// and the gap walk's batch.
func TestRunsProgressionDenseKeyMatchesMemstore(t *testing.T) {
	url := pgURL(t)
	teststores.DenseRunsMatchMemstore(t, open(t, url, newSchema(t, url)), 1200, 29)
}
