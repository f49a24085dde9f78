package infer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// atomicFile writes to a temporary file beside path and renames it over path on commit.
type atomicFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
	err  error
}

func createAtomic(path string) (*atomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("infer: %w", err)
	}
	return &atomicFile{path: path, f: f, w: bufio.NewWriter(f)}, nil
}

// line writes s and a newline; newlines inside s become spaces so that rows stay aligned.
func (a *atomicFile) line(s string) {
	if a.err != nil {
		return
	}
	s = strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
	if _, err := a.w.WriteString(s); err != nil {
		a.err = err
		return
	}
	a.err = a.w.WriteByte('\n')
}

func (a *atomicFile) write(b []byte) {
	if a.err == nil {
		_, a.err = a.w.Write(b)
	}
}

func (a *atomicFile) commit() error {
	if a.f == nil {
		return fmt.Errorf("infer: %s already committed or aborted", a.path)
	}
	err := a.err
	if err == nil {
		err = a.w.Flush()
	}
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.path)
	}
	if err != nil {
		os.Remove(a.f.Name())
		a.f = nil
		return fmt.Errorf("infer: writing %s: %w", a.path, err)
	}
	a.f = nil
	if d, derr := os.Open(filepath.Dir(a.path)); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// abort discards the temporary file; a no-op after commit.
func (a *atomicFile) abort() {
	if a.f == nil {
		return
	}
	a.f.Close()
	os.Remove(a.f.Name())
	a.f = nil
}

func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("infer: encoding %s: %w", path, err)
	}
	a, err := createAtomic(path)
	if err != nil {
		return err
	}
	a.write(append(b, '\n'))
	return a.commit()
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}
