package device

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    Spec
		wantErr string
	}{
		{"auto", AutoSpec, ""},
		{"", AutoSpec, ""},
		{" AUTO ", AutoSpec, ""},
		{"cpu", CPUSpec, ""},
		{"CPU", CPUSpec, ""},
		{"cuda", CUDASpec(0), ""},
		{"gpu", CUDASpec(0), ""},
		{"cuda:0", CUDASpec(0), ""},
		{"cuda:3", CUDASpec(3), ""},
		{"cuda:-1", Spec{}, "ordinal"},
		{"cuda:x", Spec{}, "ordinal"},
		{"cuda:01", Spec{}, "ordinal"},
		{"cuda:", Spec{}, "ordinal"},
		{"tpu", Spec{}, "want auto, cpu, cuda or cuda:N"},
	} {
		got, err := Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("Parse(%q) error %v, want one naming the value and %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, s := range []Spec{AutoSpec, CPUSpec, CUDASpec(0), CUDASpec(7)} {
		got, err := Parse(s.String())
		if err != nil || got != s {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", s.String(), got, err, s)
		}
	}
	if got := CUDASpec(2).String(); got != "cuda:2" {
		t.Errorf("CUDASpec(2) = %q, want cuda:2", got)
	}
}

func TestJSON(t *testing.T) {
	type cfg struct{ Device Spec }
	b, err := json.Marshal(cfg{CUDASpec(1)})
	if err != nil || string(b) != `{"Device":"cuda:1"}` {
		t.Fatalf("Marshal = %s, %v; want {\"Device\":\"cuda:1\"}", b, err)
	}
	var c cfg
	if err := json.Unmarshal([]byte(`{"Device":"auto"}`), &c); err != nil || c.Device != AutoSpec {
		t.Fatalf("Unmarshal auto = %+v, %v", c, err)
	}
	if err := json.Unmarshal([]byte(`{"Device":"tpu"}`), &c); err == nil {
		t.Fatal("Unmarshal tpu: no error")
	}
	if _, err := json.Marshal(cfg{Spec{Kind: 9}}); err == nil {
		t.Fatal("Marshal of an invalid kind: no error")
	}
}

func TestResolve(t *testing.T) {
	gpus := func(n int) Probe { return func() int { return n } }
	for _, tt := range []struct {
		spec    Spec
		probe   Probe
		want    Spec
		wantErr bool
	}{
		{AutoSpec, gpus(0), CPUSpec, false},
		{AutoSpec, nil, CPUSpec, false},
		{AutoSpec, gpus(2), CUDASpec(0), false},
		{Spec{Kind: Auto, Index: 1}, gpus(1), CPUSpec, false},
		{CPUSpec, gpus(4), CPUSpec, false},
		{CUDASpec(0), gpus(1), CUDASpec(0), false},
		{CUDASpec(1), gpus(2), CUDASpec(1), false},
		{CUDASpec(2), gpus(2), CPUSpec, true},
		{CUDASpec(0), gpus(0), CPUSpec, true},
		{CUDASpec(0), nil, CPUSpec, true},
		{Spec{Kind: CUDA, Index: -1}, gpus(1), CPUSpec, true},
	} {
		got, err := tt.spec.Resolve(tt.probe)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%+v.Resolve = %+v, %v; want %+v (error %v)", tt.spec, got, err, tt.want, tt.wantErr)
		}
		if tt.wantErr && !strings.Contains(err.Error(), "device") {
			t.Errorf("%+v.Resolve error %q does not name the device", tt.spec, err)
		}
		if isCUDA := tt.spec.IsCUDA(tt.probe); isCUDA != (!tt.wantErr && got.Kind == CUDA) {
			t.Errorf("%+v.IsCUDA = %v", tt.spec, isCUDA)
		}
	}
	calls := 0
	if _, err := CPUSpec.Resolve(func() int { calls++; return 1 }); err != nil || calls != 0 {
		t.Errorf("CPU resolution probed CUDA %d times (err %v): want no probe", calls, err)
	}
}
