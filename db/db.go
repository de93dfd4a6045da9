// Package db opens Usher's SQLite database, migrates it, and implements the
// stores the domain packages declare.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/usherhq/usher/internal/errs"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a SQLite database with one writer connection and a pool of readers.
// A single writer (with BEGIN IMMEDIATE) means concurrent requests queue for
// the write lock inside the process instead of failing with SQLITE_BUSY.
type DB struct {
	W *sql.DB // writes, one connection
	R *sql.DB // reads, several connections (WAL lets them run beside the writer)

	gen      atomic.Uint64 // see Generation
	watch    *watcher      // other connections' commits, for Generation
	prepared prepared      // the readers' kept statements
	list     *listIndex    // the users list's order
	spaces   keptSpaces    // every space, while they do not change
	stop     func()        // ends the list's background load
	// sqlListOnly reads the users list from SQLite's indexes alone, not
	// the order kept in memory (tests compare the two).
	sqlListOnly bool
}

// FileName is the database file inside the data folder.
const FileName = "usher.db"

func dsn(path string, txlock string) string {
	q := url.Values{}
	// Pragmas in the DSN reach every pooled connection.
	for _, p := range []string{"foreign_keys(1)", "busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", txlock)
	// SQLite decodes %HH in a file: URI and ends the path at ? or #, so a
	// data folder named "usher#2" would silently put the database elsewhere.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
	return "file:" + esc + "?" + q.Encode()
}

// Remove deletes the database in dataDir, which must not be open: its
// files, not its rows, so whatever tables later versions add go too, and
// it takes no time.
func Remove(dataDir string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(filepath.Join(dataDir, FileName+suffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Open opens (creating if needed) the database in dataDir. It does not migrate.
// readers is how many connections read the database at once.
const readers = 4

func Open(dataDir string) (*DB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data folder %s: %w", dataDir, err)
	}
	path := filepath.Join(dataDir, FileName)
	d := &DB{}
	wc, err := sqlite.NewConnector(dsn(path, "immediate"))
	if err != nil {
		return nil, err
	}
	w := sql.OpenDB(countingConnector{Connector: wc, gen: &d.gen})
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn(path, "deferred"))
	if err != nil {
		w.Close()
		return nil, err
	}
	// Four readers: the reads are work for the CPU (the file is in the
	// page cache), so more connections than that only keep more copies of
	// the same pages. Measured on 100,000 users, 16 clients, two cores:
	// eight readers 2.4 ms of CPU a deep page and 165 MB peak RSS, four
	// 2.2 ms and 135 MB, two 2.0 ms and 126 MB; four leave room for an
	// export streaming or the list's order loading while pages are asked.
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	d.W, d.R = w, r
	d.prepared.r = r
	d.watch = &watcher{}
	stop, cancel := context.WithCancel(context.Background())
	d.list, d.stop = newListIndex(d, stop), cancel
	if err := w.Ping(); err != nil {
		d.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	// After the writer's Ping, which made the file (and set WAL mode).
	if d.watch, err = newWatcher(wc); err != nil {
		d.watch = &watcher{}
		d.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return d, nil
}

// Close closes both pools.
func (d *DB) Close() error {
	d.stop()
	d.list.wait()
	d.prepared.close()
	return errors.Join(d.watch.close(), d.R.Close(), d.W.Close())
}

// Migrate applies every pending migration, each in its own transaction.
func (d *DB) Migrate(ctx context.Context) ([]string, error) {
	p, err := provider(d)
	if err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	var done []string
	for _, r := range res {
		done = append(done, r.Source.Path)
	}
	if err != nil {
		return done, fmt.Errorf("migrating database: %w", err)
	}
	return done, nil
}

// Version is the newest applied migration.
func (d *DB) Version(ctx context.Context) (int64, error) {
	p, err := provider(d)
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}

func provider(d *DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectSQLite3, d.W, sub)
}

// tx runs fn in a write transaction, committing when it returns nil.
// Inside Batch, fn runs in the batch's transaction instead, in a savepoint
// of its own: its error undoes its writes and nothing else.
func (d *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if b, ok := ctx.Value(batchKey{}).(*batch); ok && b.db == d {
		return b.savepoint(ctx, fn)
	}
	t, err := d.W.BeginTx(ctx, nil)
	if err != nil {
		return errs.Wrap(err, "begin")
	}
	// Also on a panic: an unfinished transaction would keep the one writer
	// connection, and every later write would wait for it forever.
	defer t.Rollback()
	if err := fn(t); err != nil {
		return err
	}
	return errs.Wrap(t.Commit(), "commit")
}

type batchKey struct{}

// batch is a write transaction that the writes of several actions join
// (Batch).
type batch struct {
	db *DB
	tx *sql.Tx
	n  int
}

func (b *batch) savepoint(ctx context.Context, fn func(*sql.Tx) error) error {
	b.n++
	name := "item" + strconv.Itoa(b.n)
	if _, err := b.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return errs.Wrap(err, "savepoint")
	}
	if err := fn(b.tx); err != nil {
		// ROLLBACK TO keeps the savepoint open; RELEASE ends it.
		for _, stmt := range []string{"ROLLBACK TO ", "RELEASE "} {
			if _, rerr := b.tx.ExecContext(ctx, stmt+name); rerr != nil {
				return errors.Join(err, errs.Wrap(rerr, "undoing an action of a batch"))
			}
		}
		return err
	}
	_, err := b.tx.ExecContext(ctx, "RELEASE "+name)
	return errs.Wrap(err, "releasing savepoint")
}

// Batch runs fn in one write transaction, committing when it returns nil:
// every store write made with the ctx fn is given joins that transaction,
// each in its own savepoint, so that one action's refusal undoes only its
// own writes while the others commit together (or, on an error from fn or
// a crash, none of them). Reads made with the stores' read connections do
// not see the batch's writes before it commits.
//
// fn must write only through the stores' transactions (never the writer
// connection directly, which the batch holds).
func (d *DB) Batch(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if _, ok := ctx.Value(batchKey{}).(*batch); ok {
		return errs.Wrap(errors.New("nested batch"), "batch")
	}
	return d.tx(ctx, func(t *sql.Tx) error {
		return fn(context.WithValue(ctx, batchKey{}, &batch{db: d, tx: t}), t)
	})
}

// unix and fromUnix store times as Unix seconds; zero time is NULL.
func unix(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

func fromUnix(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(n.Int64, 0).UTC()
}

// isUnique reports whether err is a UNIQUE constraint violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// notFound turns sql.ErrNoRows into a NotFound error saying message id.
func notFound(err error, id string, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.T(errs.NotFound, id)
	}
	return errs.Wrap(err, what)
}
