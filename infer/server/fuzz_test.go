package server

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// checkParseError: parsing may only fail with a 400 *Error (the body readers here never fail).
func checkParseError(t *testing.T, p parsedRequest, err error, maxImages int) {
	t.Helper()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Msg == "" {
			t.Fatalf("got %T %v, want a 400 *Error with a message", err, err)
		}
		return
	}
	if len(p.images) == 0 || len(p.images) > maxImages {
		t.Fatalf("accepted %d images, want 1..%d", len(p.images), maxImages)
	}
	for i, img := range p.images {
		if len(img) == 0 {
			t.Fatalf("accepted an empty image %d", i)
		}
	}
	if p.format != "float" && p.format != "base64" {
		t.Fatalf("format %q accepted", p.format)
	}
}

func FuzzParseEmbeddingsRequest(f *testing.F) {
	for _, s := range []string{
		`{"input":"iVBORw0KGgo="}`,
		`{"input":["data:image/png;base64,iVBORw0KGgo=","aGVsbG8"],"encoding_format":"base64","model":"m"}`,
		`{"input":"https://x/y.png"}`, `{"input":[1,2]}`, `{"input":null}`, `{"input":"data:,"}`,
		`{"input":"-_-_"}`, `{"dimensions":-1,"input":"QQ"}`, `[]`, `{"input":[]}`, `{}{}`,
		`{"input":"="}`, `{"input":"data:image/png;base64,="}`, `{"input":["QQ"," == "]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := parseEmbeddingsRequest(bytes.NewReader(body), 4)
		checkParseError(t, p, err, 4)
	})
}

func FuzzParseEmbedRequest(f *testing.F) {
	f.Add("multipart/form-data; boundary=XX", []byte("--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\n\r\nPNG\r\n--XX--\r\n"))
	f.Add("multipart/form-data; boundary=XX", []byte("--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XX--\r\n"))
	f.Add("image/png", []byte("\x89PNG"))
	f.Add("multipart/form-data", []byte("--"))
	f.Add("multipart/form-data; boundary=\"", []byte(""))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/embed", bytes.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		p, err := parseEmbedRequest(r, 4)
		checkParseError(t, p, err, 4)
	})
}

// TestStatusOf pins the error → status mapping.
func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{badRequest("x"), 400},
		{errUnauthorized, 401},
		{errBusy, 429},
		{&http.MaxBytesError{Limit: 1}, 413},
		{errShuttingDown, 503},
		{errNotFound, 404},
		{errors.New("boom"), 500},
	}
	for _, tc := range tests {
		if got := statusOf(tc.err); got != tc.want {
			t.Errorf("%v: got %v, want %v", tc.err, got, tc.want)
		}
	}
}
