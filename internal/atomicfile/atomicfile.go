package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Mode is the permission every committed file gets.
const Mode os.FileMode = 0o644

// File is a temporary file that replaces its target on Commit. Write and WriteAt go to the
// temporary file; the target is untouched until Commit succeeds.
type File struct {
	path string   // target
	f    *os.File // temporary file; nil after Commit or Abort
}

// Create makes the parent directories of path if missing and opens a temporary file beside
// path. The caller must call Commit or Abort.
func Create(path string) (*File, error) {
	dir := filepath.Dir(path)
	if err := mkdirAll(dir); err != nil {
		return nil, fmt.Errorf("atomicfile: creating %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: creating %s: %w", path, err)
	}
	return &File{path: path, f: f}, nil
}

// mkdirAll creates dir and its missing ancestors, then syncs the parent of each directory it
// created so the new entries survive a crash (best effort).
func mkdirAll(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || !errors.Is(err, os.ErrNotExist) {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, d := range missing {
		syncDir(filepath.Dir(d))
	}
	return nil
}

// syncDir fsyncs a directory, ignoring errors: some file systems refuse it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// Path returns the target path.
func (a *File) Path() string { return a.path }

func (a *File) closedErr() error {
	return fmt.Errorf("atomicfile: %s: write after Commit or Abort", a.path)
}

// Write appends p to the temporary file.
func (a *File) Write(p []byte) (int, error) {
	if a.f == nil {
		return 0, a.closedErr()
	}
	return a.f.Write(p)
}

// WriteAt writes p at offset off of the temporary file (for example to patch a header).
func (a *File) WriteAt(p []byte, off int64) (int, error) {
	if a.f == nil {
		return 0, a.closedErr()
	}
	return a.f.WriteAt(p, off)
}

// Commit syncs the temporary file, sets its mode to 0644, closes it, renames it over the target
// and syncs the directory. On failure the temporary file is removed and the target is left as
// it was. Commit after Commit or Abort is an error.
func (a *File) Commit() error {
	if a.f == nil {
		return fmt.Errorf("atomicfile: %s: Commit after Commit or Abort", a.path)
	}
	f, tmp := a.f, a.f.Name()
	a.f = nil
	err := f.Chmod(Mode)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, a.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("atomicfile: committing %s: %w", a.path, err)
	}
	removeLeftovers(a.path)
	syncDir(filepath.Dir(a.path))
	return nil
}

// removeLeftovers deletes the temporary files of earlier writes of path that never committed
// or aborted (a crash, SIGKILL): ".name.tmp-*" beside it. It runs after a successful commit,
// best effort. Concurrent writers of the same path are not supported: one of them may lose its
// temporary file and fail to commit, rather than leaving it behind.
func removeLeftovers(path string) {
	dir, prefix := filepath.Dir(path), "."+filepath.Base(path)+".tmp-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// Abort closes and removes the temporary file, leaving the target untouched. It is a no-op
// after Commit or a previous Abort.
func (a *File) Abort() error {
	if a.f == nil {
		return nil
	}
	f := a.f
	a.f = nil
	errs := []error{f.Close()}
	if err := os.Remove(f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("atomicfile: aborting %s: %w", a.path, err)
	}
	return nil
}

// Write creates path atomically with the content fill writes to w. When fill returns an error
// the temporary file is removed, the target is left as it was, and the error is returned
// wrapped with the path.
func Write(path string, fill func(w io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := fill(f); err != nil {
		return fmt.Errorf("atomicfile: writing %s: %w", path, err)
	}
	return f.Commit()
}

// WriteFile creates path atomically with content data.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
