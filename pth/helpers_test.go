package pth

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/scl-dev/scl/pickle"
)

func tupleOf(v []any) pickle.Tuple { return pickle.Tuple(v) }

// zipOf returns a zip archive holding one stored file.
func zipOf(t *testing.T, name, content string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
