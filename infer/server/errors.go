package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/scl-dev/scl/data"
)

// Error is a request error carrying its HTTP status. Handlers return errors; statusOf is the
// one place that turns any error into a status code.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

func badRequest(format string, args ...any) error {
	return &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}

// Sentinel errors with fixed statuses.
var (
	errUnauthorized = &Error{Status: http.StatusUnauthorized, Msg: "missing or wrong bearer token (send Authorization: Bearer <api key>)"}
	errBusy         = &Error{Status: http.StatusTooManyRequests, Msg: "too many concurrent requests, retry later"}
	errShuttingDown = &Error{Status: http.StatusServiceUnavailable, Msg: "server is shutting down"}
	errNoModel      = &Error{Status: http.StatusServiceUnavailable, Msg: "no model loaded: start scl serve with --model"}
	errNotFound     = &Error{Status: http.StatusNotFound, Msg: "no such endpoint (have POST /v1/embeddings, POST /embed, GET /healthz, /readyz, /info, /metrics)"}
)

// statusOf maps an error to the HTTP status the client gets.
func statusOf(err error) int {
	var e *Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &e):
		return e.Status
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		return 499 // client closed the request (nginx's convention); nobody reads it
	case errors.Is(err, data.ErrFormat):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// messageOf is the text clients see for err.
func messageOf(err error, status int) string {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return fmt.Sprintf("request body larger than %d bytes", tooBig.Limit)
	case status == http.StatusServiceUnavailable && errors.As(err, new(*stageError)):
		return err.Error()
	case status == http.StatusServiceUnavailable && errors.Is(err, context.DeadlineExceeded):
		return "request timed out waiting for inference"
	}
	return err.Error()
}

// writeError writes {"error": "..."} with the status statusOf assigns, and returns the status.
func writeError(w http.ResponseWriter, err error) int {
	status := statusOf(err)
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scl"`)
	}
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(map[string]string{"error": messageOf(err, status)})
	return status
}
