package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Generation counts the changes to the database. It moves on after every
// statement this process's writer runs and after every transaction ends,
// never before; and on the first call after any other connection has
// committed, whichever process it is in (a second `usher serve` on the
// same file, `usher admin create`, an operator's own SQL), which SQLite's
// PRAGMA data_version on a connection held for it tells. Whoever reads the
// same generation before and after reading the database has seen no
// change committed in between. Pages and sessions kept in memory are good
// while it stands still.
func (d *DB) Generation() uint64 { return d.watch.observe(&d.gen) }

// Seen is the generation as last seen, without asking whether another
// connection has committed since: what a request that has called
// Generation once already asks again (this process's writes move it on
// still).
func (d *DB) Seen() uint64 { return d.gen.Load() }

// watcher holds a connection of its own to the database file, used for
// nothing but PRAGMA data_version, whose value moves on whenever another
// connection commits a change (the writer of this process included).
type watcher struct {
	mu   sync.Mutex
	conn driver.Conn
	stmt driver.Stmt
	last int64
}

func newWatcher(c driver.Connector) (*watcher, error) {
	conn, err := c.Connect(context.Background())
	if err != nil {
		return nil, err
	}
	stmt, err := conn.Prepare(`PRAGMA data_version`)
	if err != nil {
		conn.Close()
		return nil, err
	}
	w := &watcher{conn: conn, stmt: stmt}
	var gen atomic.Uint64
	w.observe(&gen)
	return w, nil
}

// observe moves gen on if another connection has committed since the last
// call, and gives it. The move is made before the lock is let go, so that
// no caller after the one that saw the commit is given the generation from
// before it. When it cannot tell (the file gone, the database closed) it
// moves gen on: what is kept is then made afresh, never taken for current.
func (w *watcher) observe(gen *atomic.Uint64) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stmt == nil {
		return gen.Add(1)
	}
	v, err := w.version()
	if err != nil {
		return gen.Add(1)
	}
	if v == w.last {
		return gen.Load()
	}
	w.last = v
	return gen.Add(1)
}

func (w *watcher) version() (int64, error) {
	rows, err := w.stmt.(driver.StmtQueryContext).QueryContext(context.Background(), nil)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		return 0, err
	}
	v, ok := dest[0].(int64)
	if !ok {
		return 0, fmt.Errorf("data_version is %T", dest[0])
	}
	return v, nil
}

func (w *watcher) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stmt == nil {
		return nil
	}
	err := errors.Join(w.stmt.Close(), w.conn.Close())
	w.stmt, w.conn = nil, nil
	return err
}

// countingConnector hands out writer connections that move gen on.
type countingConnector struct {
	driver.Connector
	gen *atomic.Uint64
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{conn: cn.(sqliteConn), gen: c.gen}, nil
}

// sqliteConn is what modernc.org/sqlite's connections do, and so what
// database/sql may ask of countingConn.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// countingConn moves gen on once each statement or transaction is over.
// Reads through the writer move it on too: that costs a cache a page, and
// keeps this from having to know which statements write.
type countingConn struct {
	conn sqliteConn
	gen  *atomic.Uint64
}

func (c *countingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &countingStmt{Stmt: st, gen: c.gen}, nil
}

func (c *countingConn) Close() error { return c.conn.Close() }

func (c *countingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return countingTx{tx: tx, gen: c.gen}, nil
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	defer c.gen.Add(1)
	return c.conn.ExecContext(ctx, query, args)
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.conn.QueryContext(ctx, query, args)
	if err != nil {
		c.gen.Add(1)
		return nil, err
	}
	return countingRows{Rows: rows, gen: c.gen}, nil
}

func (c *countingConn) Ping(ctx context.Context) error { return c.conn.Ping(ctx) }

func (c *countingConn) ResetSession(ctx context.Context) error { return c.conn.ResetSession(ctx) }

func (c *countingConn) IsValid() bool { return c.conn.IsValid() }

type countingTx struct {
	tx  driver.Tx
	gen *atomic.Uint64
}

func (t countingTx) Commit() error {
	defer t.gen.Add(1)
	return t.tx.Commit()
}

func (t countingTx) Rollback() error {
	defer t.gen.Add(1)
	return t.tx.Rollback()
}

// countingStmt is a prepared statement of the writer. database/sql uses
// the context forms when a statement has them, so those are what count.
type countingStmt struct {
	driver.Stmt
	gen *atomic.Uint64
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	defer s.gen.Add(1)
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		s.gen.Add(1)
		return nil, err
	}
	return countingRows{Rows: rows, gen: s.gen}, nil
}

// countingRows moves gen on when the statement is over: an INSERT …
// RETURNING outside a transaction commits as its rows are read.
type countingRows struct {
	driver.Rows
	gen *atomic.Uint64
}

func (r countingRows) Close() error {
	defer r.gen.Add(1)
	return r.Rows.Close()
}
