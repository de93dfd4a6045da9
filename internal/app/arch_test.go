package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// moduleRoot is the folder of go.mod, above the test's own.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = up
	}
}

type goPackage struct {
	ImportPath string
	Imports    []string // direct
	Deps       []string // everything it needs, as `go list -deps` prints it
	Module     *struct {
		Path string
		Main bool
	}
}

// ownPackages lists the module's packages, without their tests: tests may
// reach under the services (a store test needs db), the code they test
// may not.
func ownPackages(t *testing.T) (module string, pkgs map[string]goPackage) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH, so who imports whom is not checked here (CI has it)")
	}
	cmd := exec.Command(goTool, "list", "-deps", "-json=ImportPath,Imports,Deps,Module", "./...")
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs = map[string]goPackage{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module != nil && p.Module.Main {
			pkgs[p.ImportPath], module = p, p.Module.Path
		}
	}
	return module, pkgs
}

// The request travels one way (STYLE.md): web decodes and calls a service
// under internal/, whose store db implements; web renders views. Only the
// composition root, internal/app, knows all of them, and every command
// gets what it runs from it. The tests' own helpers (internal/apptest,
// internal/dbtest, internal/smtptest: packages named *test) start real
// parts for tests, so they may reach db and web too, as long as no
// command or other package depends on them.
func TestWhoImportsWhom(t *testing.T) {
	t.Parallel()
	module, pkgs := ownPackages(t)
	rel := func(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, module), "/") }
	under := func(path string, roots ...string) bool {
		for _, r := range roots {
			if p := rel(path); p == r || strings.HasPrefix(p, r+"/") {
				return true
			}
		}
		return false
	}
	testHelper := func(path string) bool { return under(path, "internal") && strings.HasSuffix(path, "test") }

	rules := []struct {
		who     func(string) bool
		direct  bool // only what it imports itself, not what those need
		notOn   func(string) bool
		because string
	}{
		{
			who:     func(p string) bool { return under(p, "internal") && !under(p, "internal/app") && !testHelper(p) },
			notOn:   func(p string) bool { return under(p, "web", "views", "db") },
			because: "the rules know no HTTP, HTML or SQL; only internal/app wires them together",
		},
		{
			who:     func(p string) bool { return under(p, "cmd") },
			direct:  true,
			notOn:   func(p string) bool { return under(p, "web", "views", "db") },
			because: "a command gets its database, services and server from internal/app",
		},
		{
			who:     func(p string) bool { return under(p, "web") },
			notOn:   func(p string) bool { return under(p, "db") },
			because: "web calls the services, which call the stores",
		},
		{
			who:     func(p string) bool { return under(p, "views") },
			notOn:   func(p string) bool { return under(p, "web", "db") },
			because: "views render view models; nothing flows back up",
		},
		{
			who:     func(p string) bool { return under(p, "db") },
			notOn:   func(p string) bool { return under(p, "web", "views") },
			because: "db implements the stores the services declare",
		},
		{
			who:     func(p string) bool { return !testHelper(p) },
			notOn:   testHelper,
			because: "test helpers wire the real app for tests only",
		},
	}
	paths := slices.Sorted(maps.Keys(pkgs))
	for _, path := range paths {
		p := pkgs[path]
		for _, r := range rules {
			if !r.who(path) {
				continue
			}
			needs := p.Deps
			if r.direct {
				needs = p.Imports
			}
			for _, dep := range needs {
				if _, own := pkgs[dep]; !own || !r.notOn(dep) || !r.direct && reported(pkgs, p, dep, r.who) {
					continue
				}
				t.Errorf("%s depends on %s (%s): %s", rel(path), rel(dep), chain(pkgs, path, dep, rel), r.because)
			}
		}
	}
}

// reported says whether a package that p imports, itself under the same
// rule, brings in dep: that one is named, not every package above it.
func reported(pkgs map[string]goPackage, p goPackage, dep string, who func(string) bool) bool {
	for _, q := range p.Imports {
		if who(q) && slices.Contains(pkgs[q].Deps, dep) {
			return true
		}
	}
	return false
}

// chain is a shortest import path from one package to another, to show
// the way round through which a dependency came.
func chain(pkgs map[string]goPackage, from, to string, rel func(string) string) string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var path []string
			for ; p != ""; p = prev[p] {
				path = append([]string{rel(p)}, path...)
			}
			return strings.Join(path, " → ")
		}
		for _, next := range pkgs[p].Imports {
			if _, seen := prev[next]; !seen {
				prev[next] = p
				queue = append(queue, next)
			}
		}
	}
	return "?"
}

// sqlStatement matches the start of a SQL statement as Usher writes them:
// in capitals, as every statement in db/ is, which also keeps Go's select
// and HTML's <select> apart from SQL's.
var sqlStatement = regexp.MustCompile(`\bSELECT\s[^;]{0,400}?\bFROM\b|\bINSERT\s+(OR\s+[A-Z]+\s+)?INTO\b|\bREPLACE\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b|\b(CREATE|DROP)\s+(UNIQUE\s+|VIRTUAL\s+)?(TABLE|INDEX|TRIGGER|VIEW)\b|\bALTER\s+TABLE\b|\bPRAGMA\s+\w+`)

// SQL lives in db/ (STYLE.md): no other Go file, generated templates
// included, holds a statement. Tests may, to reach under the services.
func TestNoSQLOutsideDB(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	checked := 0
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if e.IsDir() {
			if rel == "db" || e.Name() == "testdata" || e.Name() == "node_modules" || rel != "." && strings.HasPrefix(e.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for _, m := range sqlStatement.FindAllIndex(src, -1) {
			line := 1 + bytes.Count(src[:m[0]], []byte("\n"))
			t.Errorf("%s:%d: SQL outside db/: %q", rel, line, strings.Join(strings.Fields(string(src[m[0]:m[1]])), " "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("only %d Go files outside db/ were read: the walk missed the code", checked)
	}
}
