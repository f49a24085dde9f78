package infer

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestLineFile(t *testing.T) {
	tests := []struct {
		name   string
		items  []string
		commit bool
		want   []string // lines read back; nil when the file must not exist
	}{
		{"plain", []string{"a", "b c"}, true, []string{"a", "b c"}},
		{"newlines become spaces", []string{"x\ny", "p\r\nq"}, true, []string{"x y", "p  q"}},
		{"aborted", []string{"a"}, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "new", "shard")
			path := filepath.Join(dir, IDsFile)
			l, err := createLines(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.items {
				l.line(s)
			}
			if tc.commit {
				if err := l.commit(); err != nil {
					t.Fatal(err)
				}
			}
			l.abort()
			got, err := readLines(path)
			if tc.want == nil {
				if !os.IsNotExist(err) {
					t.Errorf("got %v, %v; want no file", got, err)
				}
			} else if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
			if es, _ := os.ReadDir(dir); len(es) != boolInt(tc.commit) {
				t.Errorf("got %d entries in %s, want %d (no temporary file left)", len(es), dir, boolInt(tc.commit))
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
