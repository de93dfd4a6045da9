package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// A request whose client went away is answered 499 and logged as that, not
// as a failure; the same error on a request still being waited for is a
// failure, logged.
func TestClientGoneIsNotAFailure(t *testing.T) {
	var log bytes.Buffer
	s := &Server{Deps: Deps{Log: slog.New(slog.NewTextHandler(&log, nil))}}
	e := echo.New()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodGet, "/settings/users?q=a", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	s.handleError(fmt.Errorf("listing users: %w", errors.New("interrupted (9)")), e.NewContext(req, rec))
	if rec.Code != statusClientGone {
		t.Errorf("status %d for a client gone, want %d", rec.Code, statusClientGone)
	}
	if strings.Contains(log.String(), "level=ERROR") || !strings.Contains(log.String(), "level=INFO msg=\"request failed (the client went away)\"") {
		t.Errorf("logged %q, want an INFO line saying the client went away", log.String())
	}

	log.Reset()
	req = httptest.NewRequest(http.MethodGet, "/healthz", nil)
	req.Header.Set("Accept", "application/json")
	rec = httptest.NewRecorder()
	s.handleError(fmt.Errorf("sending: %w", context.Canceled), e.NewContext(req, rec))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d for a cancelled job of a waiting client, want 500", rec.Code)
	}
	if !strings.Contains(log.String(), "level=ERROR") {
		t.Errorf("logged %q, want the failure logged as an error", log.String())
	}
}
