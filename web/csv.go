package web

import (
	"bufio"
	"encoding/csv"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// csvExport streams a CSV file to the browser row by row, as spreadsheet
// programs read it safely:
//   - UTF-8 with a byte order mark, without which Excel reads the file in
//     the machine's old code page and mangles every accent;
//   - each cell that a spreadsheet would take for a formula (one starting
//     with = + - @, or a tab or carriage return before one) starts with an
//     apostrophe instead, against CSV injection (OWASP): a name
//     =HYPERLINK("http://x") stays text.
//
// Nothing is held in memory beyond a buffer: the rows go out as they are
// read, so an export of 100,000 users costs what one row costs.
type csvExport struct {
	w   *csv.Writer
	buf *bufio.Writer
	row []string
}

// startCSV sends the headers of a download named filename and the first
// row (the column names).
func startCSV(c echo.Context, filename string, header []string) (*csvExport, error) {
	h := c.Response().Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(http.StatusOK)
	buf := bufio.NewWriterSize(c.Response(), 32<<10)
	if _, err := buf.WriteString("\uFEFF"); err != nil {
		return nil, err
	}
	x := &csvExport{w: csv.NewWriter(buf), buf: buf}
	x.w.UseCRLF = true // RFC 4180, and what spreadsheet programs write
	return x, x.Write(header...)
}

// Write sends one row, each cell made safe.
func (x *csvExport) Write(cells ...string) error {
	x.row = x.row[:0]
	for _, cell := range cells {
		x.row = append(x.row, safeCell(cell))
	}
	return x.w.Write(x.row)
}

// Close flushes what is buffered.
func (x *csvExport) Close() error {
	x.w.Flush()
	if err := x.w.Error(); err != nil {
		return err
	}
	return x.buf.Flush()
}

// safeCell keeps a spreadsheet from reading cell as a formula.
func safeCell(cell string) string {
	t := strings.TrimLeft(cell, "\t\r\n ")
	if t == "" {
		return cell
	}
	switch t[0] {
	case '=', '+', '-', '@':
		return "'" + cell
	}
	if cell[0] == '\t' || cell[0] == '\r' {
		return "'" + cell
	}
	return cell
}
