package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/apitokens"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
)

// The JSON API under /api/v1 (issue 20). Each operation is one entry of
// apiOps: its route, the scope it needs, and a handler typed by what it
// takes and gives. The routes and the OpenAPI document (apidoc.go) are
// both made from that table, so the document cannot say what the server
// does not do. The handlers call the same services as the pages, with the
// token's administrator as the actor: the same rules, the same limits,
// the same sentences.

const apiPrefix = "/api/v1"

// apiOp is one operation of the API.
type apiOp struct {
	method, path string // path as Echo writes it (":id")
	// id names it in the document; its summary and description are the
	// catalogue's api.op.<id> and api.op.<id>.doc, its parameters'
	// api.param.<name>.
	id      string
	scope   apitokens.Scope // "" needs no token
	status  int             // of a success
	in, out reflect.Type    // in: path, query and body fields (apiIn); out: the body (nil: none)
	errors  []int           // the statuses of problems it may answer, besides 401, 403, 429
	call    func(s *Server, c echo.Context, in any) (any, error)
}

// op declares an operation whose handler h takes *I and gives O.
func op[I, O any](method, path, id string, scope apitokens.Scope, status int, h func(s *Server, c echo.Context, in *I) (O, error)) apiOp {
	o := apiOp{method: method, path: path, id: id, scope: scope, status: status,
		in: reflect.TypeFor[I](), out: reflect.TypeFor[O]()}
	if o.out == reflect.TypeFor[noContent]() {
		o.out = nil
	}
	o.call = func(s *Server, c echo.Context, in any) (any, error) {
		return h(s, c, in.(*I))
	}
	return o
}

// noContent is what an operation that answers 204 gives.
type noContent struct{}

// problems are the statuses of the problems o may answer, besides 401,
// 403 and 429.
func (o apiOp) problems(statuses ...int) apiOp {
	o.errors = statuses
	return o
}

// texts are o's summary and description in l ("": none).
func (o apiOp) texts(l *i18n.Locale) (summary, doc string) {
	id := "api.op." + o.id
	doc = l.T(id + ".doc")
	if doc == id+".doc" {
		doc = ""
	}
	return l.T(id), doc
}

// paramDoc is what a parameter is, in l.
func paramDoc(l *i18n.Locale, name string) string { return l.T("api.param." + name) }

// Problem is an error as RFC 9457 has it (application/problem+json), with
// the page's sentence as its detail and, for a form's field, which.
type Problem struct {
	Type   string `json:"type" doc:"Names the kind of problem: a link to it in the API's documentation."`
	Title  string `json:"title" doc:"The HTTP status, in words."`
	Status int    `json:"status"`
	Detail string `json:"detail" doc:"What went wrong and what to do, as the pages say it, in the request's language."`
	Code   string `json:"code" doc:"The kind of problem: invalid, not_found, conflict, forbidden, unauthorized, too_many, internal." enum:"invalid,not_found,conflict,forbidden,unauthorized,too_many,internal"`
	Field  string `json:"field,omitempty" doc:"The field of the request the detail is about."`
}

// routeAPI serves apiOps under /api/v1, with the document and its page.
func (s *Server) routeAPI() {
	g := s.echo.Group(apiPrefix, apiHeaders)
	for _, o := range apiOps {
		h := s.apiHandler(o)
		g.Add(o.method, o.path, h)
	}
	g.GET("/openapi.json", s.openAPIDocument)
	g.GET("/docs", s.apiDocs)
	// Anything else under the prefix is a problem, not a page.
	g.Any("/*", func(c echo.Context) error { return echo.ErrNotFound })
}

// apiHeaders: an answer of the API is for its caller only, kept by none.
func apiHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// isAPI says whether c is a request to the API, whose errors are
// problem+json.
func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	// The documentation is a page for people: their session and language,
	// its errors as pages.
	return p != apiDocsPath && (p == apiPrefix || strings.HasPrefix(p, apiPrefix+"/"))
}

const apiDocsPath = apiPrefix + "/docs"

// apiHandler is o's route: the token, its scope and limit, the input
// decoded, the Idempotency-Key kept, the handler, its answer.
func (s *Server) apiHandler(o apiOp) echo.HandlerFunc {
	return func(c echo.Context) error {
		tok, err := s.apiToken(c)
		if err != nil {
			return err
		}
		// Counted before anything else it asks: refusals too.
		if ok, wait := s.limits.api.take(strconv.FormatInt(tok.ID, 10)); !ok {
			return errs.WaitT(wait, "api.err.too_many", "Wait", locale(c).Span(wait))
		}
		if !tok.Has(o.scope) {
			return errs.T(errs.Forbidden, "api.err.scope", "Scope", string(o.scope))
		}
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return errs.Wrap(err, "reading the request")
		}
		in := reflect.New(o.in)
		if err := bindAPI(c, in.Elem(), body); err != nil {
			return err
		}
		if o.method == http.MethodGet {
			return s.apiAnswer(c, o, in.Interface())
		}
		return s.idempotent(c, tok, body, func() (int, []byte, error) {
			out, err := o.call(s, c, in.Interface())
			if err != nil {
				return 0, nil, err
			}
			// What it queued goes at once: wakeSender wakes the sender.
			if o.out == nil {
				return o.status, nil, nil
			}
			b, err := json.Marshal(out)
			return o.status, b, errs.Wrap(err, "writing the answer")
		})
	}
}

// apiAnswer runs o for a read and writes its answer.
func (s *Server) apiAnswer(c echo.Context, o apiOp, in any) error {
	out, err := o.call(s, c, in)
	if err != nil {
		return err
	}
	return c.JSON(o.status, out)
}

// apiToken is the request's token, checked, with its administrator as
// the request's current person: their rights as they are now (whoIs
// reads them again after any commit, by any process), so a token of
// someone demoted, deactivated or deleted stops at once.
func (s *Server) apiToken(c echo.Context) (apitokens.Token, error) {
	h := c.Request().Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="usher"`)
		return apitokens.Token{}, errs.T(errs.Unauthorized, "api.err.no_token")
	}
	ctx := c.Request().Context()
	tok, err := s.APITokens.Authenticate(ctx, strings.TrimSpace(secret))
	if err != nil {
		if errs.Is(err, errs.Unauthorized) {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="usher", error="invalid_token"`)
		}
		return tok, err
	}
	who, err := s.whoIs(ctx, tok.UserID)
	if errs.Is(err, errs.NotFound) {
		return tok, errs.T(errs.Unauthorized, "api.err.token")
	}
	if err != nil {
		return tok, err
	}
	u := who.User
	if u.ActivatedAt.IsZero() || !u.DeactivatedAt.IsZero() || !who.Access.IsAdmin() {
		return tok, errs.T(errs.Forbidden, "api.err.owner")
	}
	c.Set(currentKey, &current{User: u, Access: who.Access, Account: who.Account})
	// The owner's language, unless the request asks for one.
	r := c.Request()
	if _, asked := i18n.Default().Match(r.Header.Get("Accept-Language")); !asked && i18n.Default().Has(u.Language) {
		setLocale(c, i18n.Default().Locale(u.Language))
	}
	// The activity log says who acted, and through which token.
	src := activity.Source{IP: c.RealIP(), ActorID: u.ID, ActorName: u.Name, ActorEmail: u.Email, Via: tok.Name}
	c.SetRequest(c.Request().WithContext(activity.With(c.Request().Context(), src)))
	return tok, nil
}

// idempotent runs do once per Idempotency-Key of the token: a retry with
// the same key and request gets the first answer again, and nothing is
// done twice. Without a key, do just runs.
func (s *Server) idempotent(c echo.Context, tok apitokens.Token, body []byte, do func() (int, []byte, error)) error {
	key := c.Request().Header.Get("Idempotency-Key")
	if key == "" {
		status, b, err := do()
		return writeAPI(c, status, b, err)
	}
	if !goodIdempotencyKey(key) {
		return errs.FieldT("Idempotency-Key", "api.err.idempotency_key")
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", c.Request().Method, c.Request().URL.RequestURI())
	h.Write(body)
	ctx := c.Request().Context()
	first, err := s.APITokens.Begin(ctx, tok.ID, key, h.Sum(nil))
	if err != nil {
		return err
	}
	if first != nil {
		c.Response().Header().Set("Idempotent-Replayed", "true")
		if first.Status >= 400 {
			c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
		} else if len(first.Body) > 0 {
			c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		}
		c.Response().WriteHeader(first.Status)
		_, err := c.Response().Write(first.Body)
		return err
	}
	status, b, err := do()
	if err != nil {
		if errs.CodeOf(err) == errs.Internal || errs.Is(err, errs.TooMany) {
			// Nothing was done: a retry may do it.
			if ferr := s.APITokens.Forget(ctx, tok.ID, key); ferr != nil {
				s.Log.Error("forgetting an idempotency key", "err", ferr)
			}
			return err
		}
		// A refusal is the answer: a retry gets it again.
		status, b = s.problem(c, err)
	}
	if ferr := s.APITokens.Finish(ctx, tok.ID, key, status, b); ferr != nil {
		s.Log.Error("keeping an idempotent answer", "err", ferr)
	}
	if err != nil {
		return writeProblem(c, status, b)
	}
	return writeAPI(c, status, b, nil)
}

func goodIdempotencyKey(k string) bool {
	if len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// writeAPI writes an operation's answer: status with the JSON b (none for
// a 204), or err as a problem.
func writeAPI(c echo.Context, status int, b []byte, err error) error {
	if err != nil {
		return err
	}
	if b == nil {
		return c.NoContent(status)
	}
	return c.JSONBlob(status, b)
}

func writeProblem(c echo.Context, status int, b []byte) error {
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(b)
	return err
}

// problem is err as a problem+json body and its status.
func (s *Server) problem(c echo.Context, err error) (int, []byte) {
	loc := locale(c)
	ctx := c.Request().Context()
	status, code := http.StatusInternalServerError, errs.CodeOf(err)
	detail := errs.Say(ctx, err)
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		code = codeOfStatus(status)
		switch status {
		case http.StatusNotFound:
			detail = loc.T("api.err.not_found")
		case http.StatusMethodNotAllowed:
			detail = loc.T("api.err.method", "Method", c.Request().Method)
		case http.StatusRequestEntityTooLarge:
			detail = loc.T("error.too_large")
		default:
			detail = statusText(loc, status)
		}
	default:
		status = statusOf[code]
	}
	p := Problem{Type: apiPrefix + "/docs#problem-" + string(code), Title: http.StatusText(status), Status: status, Detail: detail, Code: string(code)}
	var e *errs.Error
	if asError(err, &e) {
		p.Field = e.Field
	}
	b, _ := json.Marshal(p)
	return status, b
}

func codeOfStatus(status int) errs.Code {
	for code, st := range statusOf {
		if st == status {
			return code
		}
	}
	if status >= 500 {
		return errs.Internal
	}
	return errs.Invalid
}

// apiError is handleError for the API: a problem, never a page.
func (s *Server) apiError(err error, c echo.Context) {
	status, b := s.problem(c, err)
	if status >= 500 {
		s.Log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	if status == http.StatusTooManyRequests {
		setRetryAfter(c, err)
	}
	_ = writeProblem(c, status, b)
}

// bindAPI fills the struct v from c's path and query (fields tagged path
// and query) and the JSON body (the field tagged body), refusing what
// does not fit with a problem that says which field.
func bindAPI(c echo.Context, v reflect.Value, body []byte) error {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if name := f.Tag.Get("path"); name != "" {
			if err := setParam(fv, name, c.Param(name), true); err != nil {
				return err
			}
		}
		if name := f.Tag.Get("query"); name != "" {
			if raw := c.QueryParam(name); raw != "" {
				if err := setParam(fv, name, raw, false); err != nil {
					return err
				}
			}
		}
		if _, ok := f.Tag.Lookup("body"); ok {
			if len(bytes.TrimSpace(body)) == 0 {
				body = []byte("{}")
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(fv.Addr().Interface()); err != nil {
				return errs.T(errs.Invalid, "api.err.json", "Why", jsonWhy(err))
			}
			if dec.More() {
				return errs.T(errs.Invalid, "api.err.json", "Why", "more than one value")
			}
		}
	}
	return nil
}

// jsonWhy says what a decoding error found, without Go's type names.
func jsonWhy(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s should be %s", te.Field, jsonKind(te.Type))
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.Kind().String()
}

// setParam sets a path or query parameter's field from raw.
func setParam(fv reflect.Value, name, raw string, inPath bool) error {
	bad := func() error {
		if inPath {
			return errs.T(errs.NotFound, "api.err.not_found")
		}
		return errs.FieldT(name, "api.err.param", "Name", name)
	}
	switch fv.Kind() {
	case reflect.String:
		fv.SetString(raw)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || (inPath && n <= 0) {
			return bad()
		}
		fv.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return bad()
		}
		fv.SetBool(b)
	case reflect.Slice: // of int64, comma-separated
		var out []int64
		for _, p := range strings.Split(raw, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
			if err != nil || n <= 0 {
				return bad()
			}
			out = append(out, n)
		}
		fv.Set(reflect.ValueOf(out))
	default:
		panic("api: a parameter of kind " + fv.Kind().String())
	}
	return nil
}

// apiTime is a time as the API writes it: RFC 3339 in UTC, null when
// zero.
func apiTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
