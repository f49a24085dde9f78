package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set with -ldflags "-X github.com/scl-dev/scl/internal/buildinfo.version=... -X ...commit=...".
// They are unexported so that nothing but the linker can change them.
var (
	version string
	commit  string
)

// Info describes one scl binary.
type Info struct {
	Version   string `json:"version"`    // release or `git describe` string; "dev" when not stamped
	Commit    string `json:"commit"`     // full commit hash; "unknown" when neither stamped nor recorded by Go
	Modified  bool   `json:"modified"`   // Go recorded uncommitted changes (vcs.modified), only without a stamp
	GoVersion string `json:"go_version"` // toolchain that built the binary, e.g. "go1.26.8"
	Platform  string `json:"platform"`   // GOOS/GOARCH
}

// Get returns the binary's build information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(version, commit, bi)
}

// resolve combines the linker stamps with what Go recorded (bi may be nil).
func resolve(version, commit string, bi *debug.BuildInfo) Info {
	info := Info{Version: version, Commit: commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		if info.Commit == "" {
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					info.Commit = s.Value
				case "vcs.modified":
					info.Modified = s.Value == "true"
				}
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
		info.Modified = false
	}
	return info
}

// String is the one-line form printed by `scl version`, e.g.
// "scl v1.2.0 (commit 3c72e37…, go1.26.8, linux/amd64)".
func (i Info) String() string {
	c := i.Commit
	if i.Modified {
		c += "+modified"
	}
	return fmt.Sprintf("scl %s (commit %s, %s, %s)", i.Version, c, i.GoVersion, i.Platform)
}
