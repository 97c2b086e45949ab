package storage

import "context"

// InTransaction reports whether ctx carries a transaction of s: whether
// calls made with it join a transaction (InTx) rather than run their
// own. An operation that must not run inside one, such as one that calls
// out to the network between its writes, checks it.
func (s *Store) InTransaction(ctx context.Context) bool { return s.txFrom(ctx) != nil }
