package infer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/scl-dev/scl/internal/atomicfile"
)

// lineFile is a text file of one item per line, written atomically through a buffer. Write
// errors are sticky in the buffer and reported by commit.
type lineFile struct {
	f *atomicfile.File
	w *bufio.Writer
}

func createLines(path string) (*lineFile, error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("infer: %w", err)
	}
	return &lineFile{f: f, w: bufio.NewWriter(f)}, nil
}

// lineBreaks turns newlines inside an item into spaces so that rows stay aligned.
var lineBreaks = strings.NewReplacer("\n", " ", "\r", " ")

// line writes s and a newline.
func (l *lineFile) line(s string) {
	lineBreaks.WriteString(l.w, s)
	l.w.WriteByte('\n')
}

// commit flushes the buffer and renames the file into place.
func (l *lineFile) commit() error {
	if err := l.w.Flush(); err != nil {
		l.f.Abort()
		return fmt.Errorf("infer: writing %s: %w", l.f.Path(), err)
	}
	if err := l.f.Commit(); err != nil {
		return fmt.Errorf("infer: %w", err)
	}
	return nil
}

// abort discards the file; a no-op after commit.
func (l *lineFile) abort() { l.f.Abort() }

func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("infer: encoding %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, append(b, '\n')); err != nil {
		return fmt.Errorf("infer: %w", err)
	}
	return nil
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
