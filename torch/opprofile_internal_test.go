//go:build !notorch

package torch

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseOpProfile(t *testing.T) {
	cases := []struct {
		name    string
		text    string
		want    []OpStat
		wantErr string
	}{
		{name: "empty", text: ""},
		{
			name: "sorted by self time, ties by name",
			text: "aten::add\t3\t900\t900\naten::mm\t2\t5000\t4000\nAddBackward0\t1\t900\t100\naten::mul\t1\t900\t900\n",
			want: []OpStat{
				{Name: "aten::mm", Calls: 2, Total: 5000 * time.Nanosecond, Self: 4000 * time.Nanosecond},
				{Name: "aten::add", Calls: 3, Total: 900 * time.Nanosecond, Self: 900 * time.Nanosecond},
				{Name: "aten::mul", Calls: 1, Total: 900 * time.Nanosecond, Self: 900 * time.Nanosecond},
				{Name: "AddBackward0", Calls: 1, Total: 900 * time.Nanosecond, Self: 100 * time.Nanosecond},
			},
		},
		{
			name: "call paths attach to their operator, largest self first",
			text: "aten::copy_\t3\t900\t800\n" +
				"aten::copy_\t1\t100\t100\t\n" +
				"aten::copy_\t2\t800\t700\tConvolutionBackward0 > aten::contiguous\n",
			want: []OpStat{{
				Name: "aten::copy_", Calls: 3, Total: 900 * time.Nanosecond, Self: 800 * time.Nanosecond,
				Paths: []OpPath{
					{Path: "ConvolutionBackward0 > aten::contiguous", Calls: 2, Total: 800 * time.Nanosecond, Self: 700 * time.Nanosecond},
					{Path: "", Calls: 1, Total: 100 * time.Nanosecond, Self: 100 * time.Nanosecond},
				},
			}},
		},
		{name: "path of an unknown operator", text: "aten::mm\t2\t5000\t4000\naten::add\t1\t1\t1\t\n", wantErr: "line 2"},
		{name: "missing field", text: "aten::mm\t2\t5000\n", wantErr: "line 1"},
		{name: "not a number", text: "aten::mm\t2\t5000\t4000\naten::add\tx\t1\t1\n", wantErr: "line 2 field 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseOpProfile(c.text)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
