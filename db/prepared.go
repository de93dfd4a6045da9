package db

import (
	"context"
	"database/sql"
	"sync"
)

// maxPrepared bounds the statements kept prepared on the readers. The
// users list has a few dozen shapes of query in common use; each kept
// statement holds a little memory on every reader connection.
const maxPrepared = 128

// prepared keeps the readers' statements prepared. For the users list,
// SQLite spent as long parsing and planning its queries as running them.
//
// A statement is prepared in the background, the first time its query is
// run: preparing it there and then would need a second reader connection
// while the transaction holds one, and with every connection held so, no
// one would get one. Meanwhile the query runs unprepared.
type prepared struct {
	r       *sql.DB
	mu      sync.Mutex
	stmts   map[string]*sql.Stmt // nil value: being prepared
	closed  bool
	pending sync.WaitGroup
}

// stmt is query prepared on the readers, or nil when it is not (yet).
func (p *prepared) stmt(query string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stmts[query]; ok || p.closed || len(p.stmts) >= maxPrepared {
		return st
	}
	if p.stmts == nil {
		p.stmts = map[string]*sql.Stmt{}
	}
	p.stmts[query] = nil
	p.pending.Add(1)
	go func() {
		defer p.pending.Done()
		st, err := p.r.Prepare(query)
		p.mu.Lock()
		defer p.mu.Unlock()
		switch {
		case err != nil:
			// Kept as nil: the query runs unprepared, and says what is wrong.
		case p.closed:
			st.Close()
		default:
			p.stmts[query] = st
		}
	}()
	return nil
}

func (p *prepared) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.pending.Wait()
	for _, st := range p.stmts {
		if st != nil {
			st.Close()
		}
	}
}

// query runs a read on the readers, outside a transaction, with its kept
// statement when there is one: for the queries every page asks.
func (d *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := d.prepared.stmt(query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return d.R.QueryContext(ctx, query, args...)
}

// readTx is a read transaction whose queries use the kept statements.
type readTx struct {
	*sql.Tx
	d *DB
}

func (d *DB) beginRead(ctx context.Context) (readTx, error) {
	tx, err := d.R.BeginTx(ctx, nil)
	return readTx{Tx: tx, d: d}, err
}

func (t readTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.d.prepared.stmt(query); st != nil {
		return t.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t readTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.d.prepared.stmt(query); st != nil {
		return t.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}
