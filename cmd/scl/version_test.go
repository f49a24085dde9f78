package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/scl-dev/scl/internal/buildinfo"
)

func TestVersionCommand(t *testing.T) {
	want := buildinfo.Get()
	for _, tc := range []struct {
		args  []string
		check func(t *testing.T, out string)
	}{
		{[]string{"scl", "version"}, func(t *testing.T, out string) {
			if out != want.String()+"\n" {
				t.Errorf("scl version printed %q, want %q", out, want.String()+"\n")
			}
		}},
		{[]string{"scl", "version", "--json"}, func(t *testing.T, out string) {
			var got buildinfo.Info
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("scl version --json printed %q: %v", out, err)
			}
			if got != want {
				t.Errorf("scl version --json = %+v, want %+v", got, want)
			}
		}},
		{[]string{"scl", "--version"}, func(t *testing.T, out string) {
			if !strings.Contains(out, " "+want.Version) {
				t.Errorf("scl --version printed %q, want it to name %q", out, want.Version)
			}
		}},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			var buf bytes.Buffer
			app := newApp()
			app.Writer = &buf
			if err := app.Run(tc.args); err != nil {
				t.Fatalf("%v: %v", tc.args, err)
			}
			tc.check(t, buf.String())
		})
	}
	app := newApp()
	app.Writer = &bytes.Buffer{}
	if err := app.Run([]string{"scl", "version", "extra"}); err == nil || !strings.Contains(err.Error(), "unexpected arguments") {
		t.Errorf("scl version extra: err = %v, want unexpected arguments", err)
	}
}
