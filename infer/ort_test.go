package infer

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLibraryErrors loads unusable libraries in child processes (the ORT environment is
// process-wide, so each attempt needs a fresh process) and checks the messages users see.
func TestLibraryErrors(t *testing.T) {
	if os.Getenv("SCL_INFER_CHILD") == "1" {
		_, err := LoadRuntime(os.Getenv("SCL_INFER_CHILD_LIB"))
		if err == nil {
			os.Stdout.WriteString("loaded\n")
			return
		}
		os.Stdout.WriteString(err.Error() + "\n")
		return
	}
	notORT := "/lib/x86_64-linux-gnu/libz.so.1"
	if _, err := os.Stat(notORT); err != nil {
		notORT = ""
	}
	tests := []struct {
		name     string
		flag     string
		env      string
		want     []string
		skipWhen bool
	}{
		{"missing flag path", filepath.Join(t.TempDir(), "nope.so"), "", []string{"onnx runtime library unavailable", "nope.so", "scripts/setup.sh", "--ort-lib"}, false},
		{"missing env path", "", filepath.Join(t.TempDir(), "gone.so"), []string{"gone.so", "scripts/setup.sh"}, false},
		{"not an ORT library", notORT, "", []string{"not an ONNX Runtime library", "scripts/setup.sh"}, notORT == ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skipWhen {
				t.Skip("no non-ORT shared library found to load")
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestLibraryErrors$")
			cmd.Env = append(os.Environ(), "SCL_INFER_CHILD=1", "SCL_INFER_CHILD_LIB="+tc.flag, LibraryEnv+"="+tc.env)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("got %q, want it to contain %q", out, w)
				}
			}
		})
	}
}

func TestLibraryCandidates(t *testing.T) {
	t.Setenv(LibraryEnv, "")
	got, explicit := libraryCandidates("")
	if explicit {
		t.Fatalf("explicit: got true, want false")
	}
	if n := len(got); n < 2 || got[n-2] != "libonnxruntime.so.1" || got[n-1] != "libonnxruntime.so" {
		t.Fatalf("got %q, want the system names last", got)
	}
	t.Setenv(LibraryEnv, "/x/lib.so")
	if got, explicit := libraryCandidates(""); !explicit || len(got) != 1 || got[0] != "/x/lib.so" {
		t.Fatalf("env: got %q %v, want [/x/lib.so] true", got, explicit)
	}
	if got, _ := libraryCandidates("/flag.so"); len(got) != 1 || got[0] != "/flag.so" {
		t.Fatalf("flag: got %q, want [/flag.so] (flag beats env)", got)
	}
}

// TestLoadRuntimeConcurrent: concurrent first calls initialise the environment once and agree.
func TestLoadRuntimeConcurrent(t *testing.T) {
	requireRuntime(t)
	const n = 8
	got := make([]Runtime, n)
	errs := make([]error, n)
	done := make(chan int)
	for i := 0; i < n; i++ {
		go func() { got[i], errs[i] = LoadRuntime(""); done <- i }()
	}
	for i := 0; i < n; i++ {
		<-done
	}
	for i := range got {
		if errs[i] != nil || got[i] != got[0] || got[i].Version == "" {
			t.Fatalf("call %d: got %+v, %v; want %+v, nil", i, got[i], errs[i], got[0])
		}
	}
	if _, err := LoadRuntime("/some/other/libonnxruntime.so.1"); err == nil || !strings.Contains(err.Error(), "already loaded") {
		t.Fatalf("second library in one process: got %v, want an error saying one is already loaded", err)
	}
}
