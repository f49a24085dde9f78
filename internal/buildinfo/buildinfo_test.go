package buildinfo

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	recorded := &debug.BuildInfo{GoVersion: "go1.99.1", Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"},
	}}
	platform := runtime.GOOS + "/" + runtime.GOARCH
	for _, tc := range []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		want            Info
	}{
		{"stamped wins over recorded", "v1.2.0", "def456", recorded,
			Info{Version: "v1.2.0", Commit: "def456", GoVersion: "go1.99.1", Platform: platform}},
		{"recorded commit without stamp", "", "", recorded,
			Info{Version: "dev", Commit: "abc123", Modified: true, GoVersion: "go1.99.1", Platform: platform}},
		{"version stamped, commit recorded", "v0.3.0", "", recorded,
			Info{Version: "v0.3.0", Commit: "abc123", Modified: true, GoVersion: "go1.99.1", Platform: platform}},
		{"nothing known", "", "", &debug.BuildInfo{},
			Info{Version: "dev", Commit: "unknown", GoVersion: runtime.Version(), Platform: platform}},
		{"no build info at all", "", "", nil,
			Info{Version: "dev", Commit: "unknown", GoVersion: runtime.Version(), Platform: platform}},
		{"modified without a revision is dropped", "", "", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}},
			Info{Version: "dev", Commit: "unknown", GoVersion: runtime.Version(), Platform: platform}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := resolve(tc.version, tc.commit, tc.bi); got != tc.want {
				t.Errorf("resolve(%q, %q) = %+v, want %+v", tc.version, tc.commit, got, tc.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct {
		in   Info
		want string
	}{
		{Info{Version: "v1.2.0", Commit: "def456", GoVersion: "go1.26.8", Platform: "linux/amd64"}, "scl v1.2.0 (commit def456, go1.26.8, linux/amd64)"},
		{Info{Version: "dev", Commit: "abc", Modified: true, GoVersion: "go1.26.8", Platform: "linux/arm64"}, "scl dev (commit abc+modified, go1.26.8, linux/arm64)"},
	} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestLinkerStamp builds a program with the same -X flags as the Makefile and the Dockerfile:
// a misspelt symbol path is silently ignored by the linker, so only a real build catches it.
func TestLinkerStamp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	bin := filepath.Join(t.TempDir(), "stamped")
	const pkg = "github.com/scl-dev/scl/internal/buildinfo"
	ldflags := "-X " + pkg + ".version=v9.8.7-test -X " + pkg + ".commit=0123456789abcdef0123456789abcdef01234567"
	build := exec.Command("go", "build", "-buildvcs=false", "-ldflags", ldflags, "-o", bin, "./testdata/stamped")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("run %s: %v", bin, err)
	}
	var got Info
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("decode %q: %v", out, err)
	}
	want := Info{Version: "v9.8.7-test", Commit: "0123456789abcdef0123456789abcdef01234567",
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if got != want {
		t.Errorf("stamped binary reports %+v, want %+v", got, want)
	}
	if !strings.HasPrefix(got.String(), "scl v9.8.7-test (commit 0123456789abcdef") {
		t.Errorf("String() = %q", got.String())
	}
}
