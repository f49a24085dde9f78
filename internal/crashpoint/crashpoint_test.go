package crashpoint

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// The test binary re-executed with Env set acts as the crashing process.
func TestMain(m *testing.M) {
	if os.Getenv("CRASHPOINT_CHILD") != "" {
		for i := 0; i < 3; i++ {
			os.Stdout.WriteString("a")
			Hit("a")
			os.Stdout.WriteString("b")
			Hit("b")
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestHit(t *testing.T) {
	tests := []struct {
		env      string
		out      string
		killed   bool
		panicked bool
	}{
		{"", "ababab", false, false},
		{"a", "a", true, false},
		{"b@2", "abab", true, false},
		{"a@3", "ababa", true, false},
		{"a@4", "ababab", false, false},
		{"other", "ababab", false, false},
		{"a@0", "a", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "CRASHPOINT_CHILD=1", Env+"="+tt.env)
			out, err := cmd.Output()
			var ee *exec.ExitError
			killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
			if string(out) != tt.out || killed != tt.killed {
				t.Errorf("%s=%q: output %q, killed %v (%v); want %q, killed %v", Env, tt.env, out, killed, err, tt.out, tt.killed)
			}
			if tt.panicked && (err == nil || killed) {
				t.Errorf("%s=%q: %v, want a panic exit", Env, tt.env, err)
			}
		})
	}
}
