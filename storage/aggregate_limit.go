package storage

import (
	"errors"
	"fmt"
)

// DynamicsAggregateLimit is the most records Dynamics lets one aggregate
// query count (AggregateQueryRecordLimit, error 0x8004E023). A Store
// does not enforce it unless made WithAggregateLimit(DynamicsAggregateLimit).
const DynamicsAggregateLimit = 50_000

// ErrAggregateLimit is matched (errors.Is) by the error of an Aggregate
// over more records than the store's WithAggregateLimit allows.
var ErrAggregateLimit = errors.New("aggregate record limit exceeded")

// AggregateLimitError is the error of an Aggregate over more records than
// the store's limit: how many records matched, and the limit. It matches
// ErrAggregateLimit.
type AggregateLimitError struct {
	Records, Limit int64
}

func (e *AggregateLimitError) Error() string {
	return fmt.Sprintf("%v: %d records, more than the %d allowed", ErrAggregateLimit, e.Records, e.Limit)
}

// Is reports whether target is ErrAggregateLimit.
func (e *AggregateLimitError) Is(target error) bool { return target == ErrAggregateLimit }

// WithAggregateLimit makes Aggregate refuse to count more than n records
// (those its filter matches), as Dynamics refuses more than
// DynamicsAggregateLimit: a host that shares a database with interactive
// users can keep one report from scanning without end. The count comes
// from the same statement as the aggregate, so the check costs one more
// COUNT(*), and the whole aggregate has run when it fails. n <= 0 (the
// default) enforces no limit: see the package documentation for why.
func WithAggregateLimit(n int) Option {
	return func(s *Store) { s.aggLimit = int64(max(n, 0)) }
}
