package scenarios

import (
	"testing"

	"github.com/dialgate/dialgate/audittest"
)

func TestScenarios(t *testing.T) {
	audittest.RunScenarios(t, ".")
}
