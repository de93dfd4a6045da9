package web

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/usherhq/usher/internal/apitokens"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/i18n"
	"github.com/usherhq/usher/internal/webhooks"
	apidocs "github.com/usherhq/usher/views/pages/apidocs"
)

// The OpenAPI 3.1 document of /api/v1, made from apiOps and the Go types
// their handlers take and give (reflection, once): what the routes are is
// what the document says. JSON Schema 2020-12, which OpenAPI 3.1 uses.

// schemaDoc holds the named schemas (components) while a document is made.
type schemaDoc struct {
	schemas map[string]any
}

var timeType = reflect.TypeFor[time.Time]()

// schema is t's schema, a $ref for a named struct (kept in d.schemas).
func (d *schemaDoc) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		inner := d.schema(t.Elem())
		if typ, ok := inner["type"].(string); ok {
			inner["type"] = []string{typ, "null"}
			return inner
		}
		return map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": d.schema(t.Elem())}
	case reflect.Struct:
		name := t.Name()
		if _, ok := d.schemas[name]; !ok {
			d.schemas[name] = nil // taken, while its fields are made
			d.schemas[name] = d.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	panic("apidoc: no schema for " + t.String())
}

// object is the schema of struct t's JSON fields.
func (d *schemaDoc) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	required := []string{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = d.field(f)
		if !strings.Contains(opts, "omitempty") {
			required = append(required, name)
		}
	}
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

// field is the schema of struct field f, with its doc and enum tags.
func (d *schemaDoc) field(f reflect.StructField) map[string]any {
	sc := d.schema(f.Type)
	if doc := f.Tag.Get("doc"); doc != "" {
		if _, ref := sc["$ref"]; ref {
			// A $ref's siblings are allowed in 3.1; the description says
			// what this field is, the schema what such a thing is.
			sc = map[string]any{"$ref": sc["$ref"], "description": doc}
		} else {
			sc["description"] = doc
		}
	}
	if enum, ok := f.Tag.Lookup("enum"); ok {
		vals := strings.Split(enum, ",")
		target := sc
		if f.Type.Kind() == reflect.Slice {
			target = sc["items"].(map[string]any)
		}
		target["enum"] = vals
	}
	return sc
}

// openAPIPath is an Echo path as OpenAPI writes it: ":id" → "{id}".
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			parts[i] = "{" + name + "}"
		}
	}
	return strings.Join(parts, "/")
}

var problemStatuses = []int{401, 403, 429}

// openAPI makes the document.
func openAPI() map[string]any {
	d := &schemaDoc{schemas: map[string]any{}}
	problem := d.schema(reflect.TypeFor[Problem]())
	paths := map[string]any{}
	en := i18n.Default().Locale("en") // the document's language
	for _, o := range apiOps {
		summary, doc := o.texts(en)
		item, _ := paths[openAPIPath(o.path)].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[openAPIPath(o.path)] = item
		}
		opDoc := map[string]any{
			"operationId": o.id,
			"summary":     summary,
			"security":    []any{map[string]any{"bearer": []string{string(o.scope)}}},
			"x-scope":     string(o.scope),
		}
		desc := doc
		if desc != "" {
			desc += "\n\n"
		}
		opDoc["description"] = desc + "Needs the scope `" + string(o.scope) + "`."
		var params []any
		for i := range o.in.NumField() {
			f := o.in.Field(i)
			if name := f.Tag.Get("path"); name != "" {
				params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": d.field(f), "description": paramDoc(en, name)})
			}
			if name := f.Tag.Get("query"); name != "" {
				p := map[string]any{"name": name, "in": "query", "schema": d.field(f), "description": paramDoc(en, name)}
				if f.Type.Kind() == reflect.Slice {
					p["style"], p["explode"] = "form", false
				}
				params = append(params, p)
			}
			if _, ok := f.Tag.Lookup("body"); ok {
				opDoc["requestBody"] = map[string]any{"required": true, "content": map[string]any{
					"application/json": map[string]any{"schema": d.schema(f.Type)}}}
			}
		}
		if o.method != http.MethodGet {
			params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
				"schema":      map[string]any{"type": "string", "maxLength": 255},
				"description": "Send the same key again with the same request to get the first answer again, and do nothing twice (kept 24 hours)."})
		}
		if len(params) > 0 {
			opDoc["parameters"] = params
		}
		ok := map[string]any{"description": http.StatusText(o.status)}
		if o.out != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": d.schema(o.out)}}
		}
		responses := map[string]any{strconv.Itoa(o.status): ok}
		for _, st := range append(append([]int{}, o.errors...), problemStatuses...) {
			responses[strconv.Itoa(st)] = map[string]any{"$ref": "#/components/responses/Problem" + strconv.Itoa(st)}
		}
		opDoc["responses"] = responses
		item[strings.ToLower(o.method)] = opDoc
	}
	responses := map[string]any{}
	for st := range statusesUsed() {
		responses["Problem"+strconv.Itoa(st)] = map[string]any{
			"description": http.StatusText(st),
			"content":     map[string]any{"application/problem+json": map[string]any{"schema": problem}},
		}
	}
	scopes := []string{}
	for _, sc := range apitokens.Scopes {
		scopes = append(scopes, "`"+string(sc)+"`")
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Usher API",
			"version": "1",
			"description": "Invite people and manage invitations and users from other programs. " +
				"Authenticate with a token from Settings > API tokens: `Authorization: Bearer usher_…`. " +
				"A token acts for the administrator who made it, with their rights as they are at each request, limited to its scopes (" + strings.Join(scopes, ", ") + "). " +
				"Errors are `application/problem+json` (RFC 9457). Each token may make " + strconv.Itoa(apiPerMinute) + " requests a minute; past that the answer is 429 with `Retry-After`.",
		},
		"servers": []any{map[string]any{"url": apiPrefix}},
		"paths":   paths,
		"components": map[string]any{
			"schemas":   d.schemas,
			"responses": responses,
			"securitySchemes": map[string]any{"bearer": map[string]any{
				"type": "http", "scheme": "bearer", "description": "An API token from Settings > API tokens.",
			}},
		},
	}
}

// statusesUsed are the statuses of every problem any operation names.
func statusesUsed() map[int]bool {
	out := map[int]bool{}
	for _, st := range problemStatuses {
		out[st] = true
	}
	for _, o := range apiOps {
		for _, st := range o.errors {
			out[st] = true
		}
	}
	return out
}

var openAPIOnce = sync.OnceValue(openAPI)

func (s *Server) openAPIDocument(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, openAPIOnce())
}

// apiDocs is the API's documentation page, made from the same table.
func (s *Server) apiDocs(c echo.Context) error {
	sh, err := s.shell(c, locale(c).T("apidocs.heading"), "")
	if err != nil {
		return err
	}
	v := apidocs.Page{Shell: sh, PerMinute: apiPerMinute,
		Base: strings.TrimSuffix(s.Config.BaseURL.String(), "/") + apiPrefix}
	for _, sc := range apitokens.Scopes {
		v.Scopes = append(v.Scopes, apidocs.Scope{Name: string(sc), Label: locale(c).T("apitokens.scope." + scopeKey(sc) + "_hint")})
	}
	for _, ev := range webhooks.Events {
		v.Events = append(v.Events, apidocs.Scope{Name: string(ev), Label: locale(c).T("webhooks.event." + string(ev))})
	}
	for _, o := range apiOps {
		summary, doc := o.texts(locale(c))
		op := apidocs.Op{ID: o.id, Method: o.method, Path: apiPrefix + openAPIPath(o.path), Summary: summary, Doc: doc, Scope: string(o.scope), Status: o.status}
		for i := range o.in.NumField() {
			f := o.in.Field(i)
			for _, where := range []string{"path", "query"} {
				if name := f.Tag.Get(where); name != "" {
					op.Params = append(op.Params, apidocs.Param{Name: name, In: where, Doc: paramDoc(locale(c), name), Enum: f.Tag.Get("enum")})
				}
			}
			if _, ok := f.Tag.Lookup("body"); ok {
				op.Body = f.Type.Name()
			}
		}
		if o.out != nil {
			op.Out = o.out.Name()
		}
		v.Ops = append(v.Ops, op)
	}
	for _, code := range []errs.Code{errs.Invalid, errs.NotFound, errs.Conflict, errs.Forbidden, errs.Unauthorized, errs.TooMany, errs.Internal} {
		v.Problems = append(v.Problems, apidocs.Problem{Code: string(code), Status: statusOf[code]})
	}
	return s.render(c, http.StatusOK, apidocs.DocsPage(v))
}
