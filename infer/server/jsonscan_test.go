package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"testing"
)

// referenceParse is the straightforward parser the scanner replaced (encoding/json into a
// struct, then each string decoded): the independent reference for the scanner's results.
func referenceParse(body []byte, maxImages int) (parsedRequest, error) {
	var req struct {
		Input          json.RawMessage `json:"input"`
		Model          string          `json:"model"`
		EncodingFormat string          `json:"encoding_format"`
		Dimensions     *int            `json:"dimensions"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return parsedRequest{}, badRequest("invalid JSON: %v", err)
	}
	if dec.More() {
		return parsedRequest{}, badRequest("trailing data")
	}
	p := parsedRequest{model: req.Model}
	var err error
	if p.format, err = checkFormat(req.EncodingFormat); err != nil {
		return parsedRequest{}, err
	}
	if req.Dimensions != nil {
		if *req.Dimensions <= 0 {
			return parsedRequest{}, badRequest("dimensions")
		}
		p.dims = *req.Dimensions
	}
	in := bytes.TrimSpace(req.Input)
	var inputs []string
	switch {
	case len(in) == 0 || string(in) == "null":
		return parsedRequest{}, badRequest("missing")
	case in[0] == '"':
		var s string
		if err := json.Unmarshal(in, &s); err != nil {
			return parsedRequest{}, badRequest("input")
		}
		inputs = []string{s}
	case in[0] == '[':
		var list []string
		if err := json.Unmarshal(in, &list); err != nil {
			return parsedRequest{}, badRequest("list")
		}
		inputs = list
	default:
		return parsedRequest{}, badRequest("type")
	}
	if len(inputs) == 0 || len(inputs) > maxImages {
		return parsedRequest{}, badRequest("count")
	}
	for _, s := range inputs {
		b, err := decodeInputBytes([]byte(s))
		if err != nil {
			return parsedRequest{}, badRequest("%v", err)
		}
		p.images = append(p.images, b)
	}
	return p, nil
}

// checkAgainstReference: whatever the scanner accepts, the reference accepts with the same
// result; and on ordinary JSON (no duplicate keys, nulls in lists or trailing brackets) the
// two agree on accepting.
func checkAgainstReference(t *testing.T, body []byte, strictEqual bool) {
	t.Helper()
	got, err := parseEmbeddingsRequest(bytes.NewReader(body), 4)
	checkParseError(t, got, err, 4)
	want, werr := referenceParse(body, 4)
	if err == nil {
		if werr != nil {
			t.Fatalf("%q: scanner accepted what encoding/json refuses (%v)", body, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: scanner got %+v, reference %+v", body, got, want)
		}
	} else if strictEqual && werr == nil {
		t.Fatalf("%q: scanner refused (%v) what encoding/json accepts", body, err)
	}
}

func TestParseMatchesReference(t *testing.T) {
	img := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nsome image bytes"))
	url := base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe, 1, 2})
	for _, body := range []string{
		`{"input":"` + img + `"}`,
		` { "input" : [ "` + img + `" , "data:image/png;base64,` + img + `" ] , "model" : "m", "encoding_format":"base64", "dimensions": 8, "user": {"a":[1,2,{"b":"]"}]} } `,
		`{"INPUT":"` + img + `","Model":"x"}`,
		`{"input":"` + url + `"}`,
		`{"input":"\u0041\u0042\u0043\u0044"}`,
		`{"input":["QUJD","REVG\n"]}`,
		`{"model":null,"dimensions":null,"encoding_format":null,"input":"QQ=="}`,
		`{"input":"="}`, `{"input":"data:image/png;base64,="}`, `{"input":"https://x/y.png"}`,
		`{"input":[1,2]}`, `{"input":null}`, `{}`, `[]`, `{"input":"QQ"}{}`, `{"input":"QQ",}`,
		`{"input":"QQ","dimensions":1.5}`, `{"input":"QQ","model":3}`, `{"input":"QQ","x":tru}`,
		`{"input":"Q\Q"}`, "{\"input\":\"Q\x01Q\"}", `{"input":"QQ"`, `{"input":[]}`,
		`{"input":["QQ","QQ","QQ","QQ","QQ"]}`, `{"input":"QQ","x":"\ud800"}`,
	} {
		checkAgainstReference(t, []byte(body), true)
	}
}

func FuzzParseMatchesReference(f *testing.F) {
	f.Add([]byte(`{"input":["data:image/png;base64,iVBORw0KGgo=","aGVsbG8"],"encoding_format":"base64","model":"m","dimensions":3}`))
	f.Add([]byte(`{"input":"\u0041\u0042","x":[{"y":"]}"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) { checkAgainstReference(t, body, false) })
}

// TestEmbeddingsMemory: a /v1/embeddings request of about 32 MB allocates, from reading its
// body to the response, less than its size again: peak memory per request stays under twice
// the body (issue 15: a 33 MB body took ~200 MB).
func TestEmbeddingsMemory(t *testing.T) {
	enc := newEncoder(t, testModel, 1)
	_, pngs := randomPNGs(t, 1, 16, 16, 8)
	// A valid PNG followed by 24 MB of bytes the decoder never reads (after IEND).
	img := append(append([]byte{}, pngs[0]...), bytes.Repeat([]byte{7, 1, 200}, 8<<20)...)
	body := []byte(fmt.Sprintf(`{"input":["%s"],"model":"scl"}`, base64.StdEncoding.EncodeToString(img)))
	s, err := New(Config{Encoder: enc, MaxBodyBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run := func() (uint64, int) {
		req := httptest.NewRequest(http.MethodPost, "/v1/embeddings", bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		rec := httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s.Handler().ServeHTTP(rec, req)
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, rec.Code
	}
	run() // warm-up: first-use allocations of the batcher and ORT
	alloc, code := run()
	ratio := float64(alloc) / float64(len(body))
	t.Logf("body %.1f MB, allocated %.1f MB during the request (%.2f× the body)", float64(len(body))/1e6, float64(alloc)/1e6, ratio)
	if code != 200 {
		t.Fatalf("status %d, want 200", code)
	}
	// What the request owns: its copy of the body (1×), the decoded image (0.75×) and small
	// change. TotalAlloc counts every allocation, freed or not, so it bounds the peak.
	if ratio > 2.0 {
		t.Fatalf("the request allocated %.2f× its body, want ≤ 2", ratio)
	}
}
