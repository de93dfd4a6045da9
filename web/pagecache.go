package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/klauspost/compress/gzip"
	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/errs"
)

// The users list is what administrators look at all day, and with tens of
// thousands of users it is the dearest page to make. Each one made is
// kept, gzipped, for the administrator who asked, and given again while
// nothing has been written (the database's generation stands still) and
// the clock has not moved it on: not past the next invitation expiry,
// which changes statuses and counts, and not into the next minute, so
// that its "5 minutes ago" is never a minute behind.

// pageKey is one administrator's view of one address; fragment is the
// htmx answer that replaces the results only.
type pageKey struct {
	user     int64
	lang     string // the language it is written in
	uri      string
	fragment bool
}

// page is a kept page: its gzipped HTML, good until until.
type page struct {
	gz    []byte
	until time.Time
}

// keptUntil is how long a page made at now stays right, given when the
// clock next changes its data (zero: never).
func keptUntil(now, data time.Time) time.Time {
	until := now.Truncate(time.Minute).Add(time.Minute)
	if !data.IsZero() && data.Before(until) {
		return data
	}
	return until
}

// sendKept answers with the kept page for key, if there is one that is
// still right; it reports whether it did. A page waiting to show a banner
// is made afresh: the banner is shown once, and not kept. So is one asked
// for with Cache-Control: no-cache, as browsers do on a hard reload.
//
// When there is none, the first request for key at gen makes it and the
// others wait for that one (memo.claim), then are given what it kept:
// done is to be called once the page is made (nil when there is nothing
// to call).
func (s *Server) sendKept(c echo.Context, gen uint64, key pageKey) (sent bool, done func(), err error) {
	r := c.Request()
	if !acceptsGzip(r) || s.hasFlash(c) || strings.Contains(r.Header.Get("Cache-Control"), "no-cache") {
		return false, nil, nil
	}
	if sent, err := s.sendKeptPage(c, gen, key); sent || err != nil {
		return sent, nil, err
	}
	wait, done := s.pages.claim(gen, key)
	if wait == nil {
		return false, done, nil
	}
	select {
	case <-wait:
	case <-r.Context().Done():
		return false, nil, r.Context().Err()
	}
	// Made by the one that claimed it; or not kept (the clock moved, the
	// database did, the maker failed): made here then, without waiting
	// again.
	sent, err = s.sendKeptPage(c, gen, key)
	return sent, nil, err
}

func (s *Server) sendKeptPage(c echo.Context, gen uint64, key pageKey) (bool, error) {
	p, ok := s.pages.get(gen, key)
	if !ok || !s.Clock.Now().Before(p.until) {
		return false, nil
	}
	return true, sendGzip(c, p.gz)
}

// renderKept renders a page, answers with it and, when keep is set, keeps
// it for sendKept: made from the database as it was at generation gen,
// and right until until. done (from sendKept, or nil) is called once it
// is kept, before it is sent.
func (s *Server) renderKept(c echo.Context, gen uint64, key pageKey, until time.Time, keep bool, done func(), comp templ.Component) error {
	html := buffers.Get().(*bytes.Buffer)
	defer putBuffer(html)
	if err := comp.Render(c.Request().Context(), html); err != nil {
		return errs.Wrap(err, "rendering page")
	}
	if !keep && !acceptsGzip(c.Request()) {
		return c.HTMLBlob(http.StatusOK, html.Bytes())
	}
	gz := buffers.Get().(*bytes.Buffer)
	defer putBuffer(gz)
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(gz)
	zw.Write(html.Bytes())
	if err := zw.Close(); err != nil {
		return errs.Wrap(err, "compressing page")
	}
	if keep {
		s.pages.put(gen, key, page{gz: bytes.Clone(gz.Bytes()), until: until})
	}
	if done != nil {
		done()
	}
	if acceptsGzip(c.Request()) {
		return sendGzip(c, gz.Bytes())
	}
	return c.HTMLBlob(http.StatusOK, html.Bytes())
}

// buffers hold pages while they are made and compressed: a page of 50
// rows is some 55 KB, which a new buffer reached by doubling, each time,
// and left behind for the collector.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return // a rare big page: not kept for every page after it
	}
	b.Reset()
	buffers.Put(b)
}

// gzipWriters saves making a compressor (over 1 MB of tables) per page.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // the level is valid
	return zw
}}

func sendGzip(c echo.Context, gz []byte) error {
	h := c.Response().Header()
	h.Set("Content-Encoding", "gzip")
	h.Set("Content-Length", strconv.Itoa(len(gz)))
	return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, gz)
}

// acceptsGzip reads Accept-Encoding: gzip (or *) without q=0.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		if name != "gzip" && name != "*" {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
