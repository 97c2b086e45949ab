package storage

import (
	"context"
	"fmt"
	"iter"

	"github.com/crmkit/crmkit/crm"
)

// SeqChunk is how many records CreateSeq reads, checks and writes at a
// time: the most it holds in memory at once.
const SeqChunk = 5_000

// CreateSeq creates the records seq yields in one transaction, as
// CreateMany does, a chunk of SeqChunk records at a time (one COPY each on
// PostgreSQL), so that memory stays flat however many records there are:
// the path for an import of millions. It returns how many records it
// created. If any record fails, or seq yields an error, none is created
// and the error says which record (by its position in seq).
//
// What it does not keep is what needs every record at hand: it returns
// no records; a record may point at one before it in seq, but not after
// it beyond its chunk; an entity's rules see the records of the chunk and
// those written before it, not later ones; and PreValidation hooks run
// inside the transaction, as for a write that joins one.
//
// Errors: those of CreateMany.
func (s *Store) CreateSeq(ctx context.Context, seq iter.Seq2[crm.Record, error]) (int, error) {
	n := 0
	err := s.write(ctx, func(ctx context.Context, st *txState, cl call) error {
		chunk := make([]crm.Record, 0, SeqChunk)
		flush := func() error {
			if len(chunk) == 0 {
				return nil
			}
			// -1: the position is n's, which is not known in advance.
			if err := s.createIn(ctx, st, cl, chunk, nil, n-len(chunk), -1); err != nil {
				return err
			}
			clear(chunk) // let the chunk's records go
			chunk = chunk[:0]
			return nil
		}
		for rec, err := range seq {
			if err != nil {
				return fmt.Errorf("record %d: %w", n, err)
			}
			rec, _, err := s.preValidate(ctx, OpCreate, rec, "")
			if err != nil {
				return fmt.Errorf("record %d: %w", n, err)
			}
			chunk = append(chunk, rec)
			n++
			if len(chunk) == SeqChunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
	if err != nil {
		return 0, fmt.Errorf("create from a sequence: %w", err)
	}
	return n, nil
}
