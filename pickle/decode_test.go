package pickle

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The fixtures testdata/proto<N>.pkl were written by scripts/torch-fixtures.py with CPython's
// pickle.dump at protocols 0 to 5, all of the same value (spelled out in checkProtoValue).

func checkProtoValue(t *testing.T, v any) {
	t.Helper()
	d, ok := v.(*Dict)
	if !ok {
		t.Fatalf("got a %s, want a dict", TypeName(v))
	}
	want := map[string]any{
		"int":   int64(1),
		"neg":   int64(-70000),
		"i32":   int64(1<<31 - 1),
		"float": 1.5,
		"str":   "héllo",
		"none":  nil,
		"t":     true,
		"f":     false,
	}
	for k, w := range want {
		got, ok := d.Get(k)
		if !ok || !reflect.DeepEqual(got, w) {
			t.Errorf("%q: got %#v, want %#v", k, got, w)
		}
	}
	big70, _ := d.Get("big")
	if b, ok := big70.(*big.Int); !ok || b.Cmp(new(big.Int).Lsh(big.NewInt(1), 70)) != 0 {
		t.Errorf("big: got %v, want 2**70", big70)
	}
	if b, _ := d.Get("bytes"); !reflect.DeepEqual(b, []byte{0, 1, 0xff}) {
		t.Errorf("bytes: got %#v, want [0 1 255]", b)
	}
	l, _ := d.Get("list")
	items, ok := Items(l)
	if !ok || len(items) != 3 || items[0] != int64(1) {
		t.Fatalf("list: got %#v", l)
	}
	if inner, _ := Items(items[1]); !reflect.DeepEqual(inner, []any{int64(2), int64(3)}) {
		t.Errorf("list[1]: got %#v, want [2 3]", items[1])
	}
	shared, _ := d.Get("shared")
	if shared != items[2] {
		t.Errorf("shared list: got two distinct values, want one memoized value")
	}
	tup, _ := d.Get("tuple")
	if !reflect.DeepEqual(tup, Tuple{int64(1), "a", nil}) {
		t.Errorf("tuple: got %#v", tup)
	}
	od, _ := d.Get("od")
	o, ok := od.(*Dict)
	if !ok || !reflect.DeepEqual(o.Keys, []any{"b", "a"}) || !reflect.DeepEqual(o.Values, []any{int64(2), int64(1)}) {
		t.Errorf("od: got %#v, want OrderedDict b=2, a=1 in that order", od)
	}
	if e, _ := d.Get("empty"); e == nil || e.(*Dict).Len() != 0 {
		t.Errorf("empty: got %#v", e)
	}
}

func TestProtocols(t *testing.T) {
	for proto := 0; proto <= 5; proto++ {
		t.Run(fmt.Sprint(proto), func(t *testing.T) {
			b, err := os.ReadFile(fmt.Sprintf("testdata/proto%d.pkl", proto))
			if err != nil {
				t.Fatal(err)
			}
			v, err := Unmarshal(b)
			if err != nil {
				t.Fatal(err)
			}
			checkProtoValue(t, v)
		})
	}
}

// TestTruncated cuts every fixture at every length: each prefix must give an error (never a
// panic), and ErrTruncated for the binary protocols' cut arguments.
func TestTruncated(t *testing.T) {
	for proto := 0; proto <= 5; proto++ {
		b, err := os.ReadFile(fmt.Sprintf("testdata/proto%d.pkl", proto))
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(b); n++ {
			if _, err := Unmarshal(b[:n]); err == nil {
				t.Fatalf("protocol %d cut at %d of %d bytes: no error", proto, n, len(b))
			}
		}
		if _, err := Unmarshal(b[:len(b)-1]); !errors.Is(err, ErrTruncated) {
			t.Errorf("protocol %d without STOP: got %v, want ErrTruncated", proto, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown opcode", "\x80\x02\xff.", "unknown opcode"},
		{"huge length", "\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7f", "truncated"},
		{"underflow", "\x80\x02R.", "stack underflow"},
		{"no mark", "\x80\x02t.", "no MARK"},
		{"memo miss", "\x80\x02h\x05.", "memo index 5 not set"},
		{"persistent id", "\x80\x02K\x01Q.", "without a loader"},
		{"append to int", "\x80\x02K\x01K\x02a.", "want a list"},
		{"two values left", "\x80\x02K\x01K\x02.", "2 values"},
		{"text not pickle", "hello world", "memo index 101 not set"},
		{"unterminated line", "\x80\x02I12", "no end of line"},
		{"bad protocol", "\x80\x09.", "protocol 9"},
		{"bad utf8", "\x80\x03X\x01\x00\x00\x00\xff.", "invalid UTF-8"},
		{"reduce args", "\x80\x02cos\nsystem\nK\x01R.", "want a tuple"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Unmarshal([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestGlobalsNotCalled checks that a pickle naming os.system records the call instead of running
// anything.
func TestGlobalsNotCalled(t *testing.T) {
	v, err := Unmarshal([]byte("\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R."))
	if err != nil {
		t.Fatal(err)
	}
	o, ok := v.(*Object)
	if !ok || o.Callable != (Global{"os", "system"}) || !reflect.DeepEqual(o.Args, Tuple{"echo"}) {
		t.Fatalf("got %#v, want a recorded call of os.system('echo')", v)
	}
}

func TestLong(t *testing.T) {
	tests := []struct {
		in   []byte
		want string
	}{
		{nil, "0"},
		{[]byte{0xff}, "-1"},
		{[]byte{0x00, 0x80, 0x00}, "32768"},
		{[]byte{0x00, 0x80}, "-32768"},
		{[]byte{0x00, 0x80, 0xff}, "-32768"},
		{[]byte{0, 0, 0, 0, 0, 0, 0, 0, 1}, "18446744073709551616"},
		{[]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff}, "-18446744073709551616"},
	}
	for _, tc := range tests {
		if got := fmt.Sprint(decodeLong(tc.in)); got != tc.want {
			t.Errorf("decodeLong(% x) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
