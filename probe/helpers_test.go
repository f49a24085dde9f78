package probe

import (
	"strings"
	"testing"
)

func assertErrContains(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want one containing %q", want)
	}
	if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "probe: ") {
		t.Errorf("got error %q, want a probe error containing %q", err, want)
	}
}
