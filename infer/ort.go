package infer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// LibraryEnv is the environment variable naming the ONNX Runtime shared library.
const LibraryEnv = "SCL_ORT_LIB"

// MinVersion is the oldest ONNX Runtime release this build can drive: onnxruntime_go v1.27.0
// asks the library for C API version 24, which ONNX Runtime 1.24 introduced.
const MinVersion = "1.24"

// installHint ends every error about a missing or unusable library.
const installHint = "run scripts/setup.sh (installs the CPU library into .deps/lib) or pass --ort-lib / set " + LibraryEnv

// ErrLibrary is wrapped by every error about finding or loading the ONNX Runtime library, so
// callers can tell a set-up problem from a model problem with errors.Is.
var ErrLibrary = errors.New("onnx runtime library unavailable")

// environment is the process-wide ONNX Runtime state: onnxruntime_go keeps one global
// environment per process, so it is initialised once, under mu, and never torn down while
// the process runs (tearing it down and re-opening the library is not supported by ORT).
var environment struct {
	mu      sync.Mutex
	path    string // library that was loaded; "" before the first success
	version string
}

// Runtime describes the loaded ONNX Runtime library.
type Runtime struct {
	Path    string // the shared library that was loaded
	Version string // ONNX Runtime's own version string, e.g. "1.30.0"
}

// LoadRuntime resolves and loads the ONNX Runtime shared library and initialises the
// process-wide environment. It is safe for concurrent use and idempotent: after the first
// success it returns the loaded runtime; asking for a different explicit library afterwards is
// an error, since one process holds one ORT environment.
//
// The library is resolved in this order: lib when not empty; $SCL_ORT_LIB; a .deps/lib folder
// next to the executable, its parent, or the current directory or any of its parents (the
// project's set-up puts the library in <repo>/.deps/lib); finally the system's loader path
// (libonnxruntime.so.1, libonnxruntime.so). An explicit lib or $SCL_ORT_LIB that cannot be
// loaded is an error, not a reason to look elsewhere.
func LoadRuntime(lib string) (Runtime, error) {
	environment.mu.Lock()
	defer environment.mu.Unlock()
	if environment.path != "" {
		if lib != "" && !samePath(lib, environment.path) {
			return Runtime{}, fmt.Errorf("infer: onnx runtime already loaded from %s, cannot also load %s in the same process", environment.path, lib)
		}
		return Runtime{Path: environment.path, Version: environment.version}, nil
	}
	if ort.IsInitialized() {
		// Another package of this process initialised onnxruntime_go directly: share it.
		environment.path = "(initialised by another package)"
		if lib != "" {
			environment.path = lib
		}
		environment.version = ort.GetVersion()
		return Runtime{Path: environment.path, Version: environment.version}, nil
	}
	candidates, explicit := libraryCandidates(lib)
	var tried []string
	for _, c := range candidates {
		if strings.ContainsRune(c, os.PathSeparator) {
			if _, err := os.Stat(c); err != nil {
				if explicit {
					return Runtime{}, fmt.Errorf("infer: %w: %s: %v; %s", ErrLibrary, c, err, installHint)
				}
				tried = append(tried, c)
				continue
			}
		}
		ort.SetSharedLibraryPath(c)
		err := ort.InitializeEnvironment(ort.WithLogLevelError())
		if err == nil {
			environment.path = c
			environment.version = ort.GetVersion()
			return Runtime{Path: c, Version: environment.version}, nil
		}
		msg := err.Error()
		switch {
		case strings.Contains(msg, "ORT API base"):
			// The library answered OrtGetApiBase but not our API version: too old.
			return Runtime{}, fmt.Errorf("infer: %w: %s is too old or incompatible (this build needs ONNX Runtime >= %s): %v; %s",
				ErrLibrary, c, MinVersion, err, installHint)
		case strings.Contains(msg, "OrtGetApiBase"):
			return Runtime{}, fmt.Errorf("infer: %w: %s is not an ONNX Runtime library (no OrtGetApiBase symbol); %s", ErrLibrary, c, installHint)
		case explicit || strings.ContainsRune(c, os.PathSeparator):
			return Runtime{}, fmt.Errorf("infer: %w: loading %s: %v; %s", ErrLibrary, c, err, installHint)
		}
		tried = append(tried, c)
	}
	return Runtime{}, fmt.Errorf("infer: %w: not found (tried %s); %s", ErrLibrary, strings.Join(tried, ", "), installHint)
}

// libraryCandidates lists the paths LoadRuntime tries, in order, and whether the single
// candidate was named explicitly (flag or environment).
func libraryCandidates(lib string) (paths []string, explicit bool) {
	if lib != "" {
		return []string{lib}, true
	}
	if env := os.Getenv(LibraryEnv); env != "" {
		return []string{env}, true
	}
	const rel = ".deps/lib/libonnxruntime.so.1"
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	if exe, err := os.Executable(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			dir := filepath.Dir(exe)
			add(filepath.Join(dir, rel))
			add(filepath.Join(filepath.Dir(dir), rel))
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if p := filepath.Join(dir, rel); fileExists(p) {
				add(p)
				break
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	add("libonnxruntime.so.1")
	add("libonnxruntime.so")
	return paths, false
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func samePath(a, b string) bool {
	if a == b {
		return true
	}
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}
