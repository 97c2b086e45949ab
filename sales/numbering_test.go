package sales_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
)

// newNumbering returns the numbering of st with formats, failing the test
// on an error.
func newNumbering(t *testing.T, st *storage.Store, formats map[string]sales.NumberFormat) *sales.Numbering {
	t.Helper()
	n, err := sales.NewNumbering(st, formats)
	require.NoError(t, err)
	return n
}

// lastNumber returns the stored last number of the named sequence, and
// false when its counter does not exist.
func lastNumber(t *testing.T, ctx context.Context, st *storage.Store, sequence string) (int64, bool) {
	t.Helper()
	rec, err := st.Get(ctx, sales.NumberSequenceEntity, sales.NumberSequenceID(sequence))
	if errors.Is(err, crm.ErrNotFound) {
		return 0, false
	}
	require.NoError(t, err)
	return rec.Fields.Int(sales.NumberSequenceLastNumber), true
}

// draw returns the next count numbers of the sequence.
func draw(t *testing.T, ctx context.Context, n *sales.Numbering, sequence string, count int) []string {
	t.Helper()
	var out []string
	for range count {
		s, err := n.Next(ctx, sequence)
		require.NoError(t, err)
		out = append(out, s)
	}
	return out
}

func TestNumberingNext(t *testing.T) {
	ctx := crm.AsSystem(context.Background())
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			st := b.store(t, nil)
			n := newNumbering(t, st, map[string]sales.NumberFormat{
				"contract": {Prefix: "CTR", Start: 7, Digits: 3},
				"ticket":   {Format: func(n int64) string { return fmt.Sprintf("2026/T/%d", n) }},
				"plain":    {},
			})

			t.Run("the sales sequences start at 1000 and count up by one", func(t *testing.T) {
				require.Equal(t, []string{"QUO-01000", "QUO-01001", "QUO-01002"}, draw(t, ctx, n, sales.SequenceQuote, 3))
				require.Equal(t, []string{"ORD-01000", "ORD-01001"}, draw(t, ctx, n, sales.SequenceOrder, 2))
				require.Equal(t, []string{"INV-01000"}, draw(t, ctx, n, sales.SequenceInvoice, 1))
				last, ok := lastNumber(t, ctx, st, sales.SequenceQuote)
				require.True(t, ok)
				require.Equal(t, int64(1002), last)
			})
			t.Run("a host's sequence takes its prefix, start and digits", func(t *testing.T) {
				require.Equal(t, []string{"CTR-007", "CTR-008"}, draw(t, ctx, n, "contract", 2))
			})
			t.Run("a host's Format writes the number", func(t *testing.T) {
				require.Equal(t, []string{"2026/T/1000", "2026/T/1001"}, draw(t, ctx, n, "ticket", 2))
			})
			t.Run("the zero format is the bare number from 1000", func(t *testing.T) {
				require.Equal(t, []string{"1000"}, draw(t, ctx, n, "plain", 1))
			})
			t.Run("a sequence with no format is not found", func(t *testing.T) {
				_, err := n.Next(ctx, "voucher")
				require.ErrorIs(t, err, crm.ErrNotFound)
				_, ok := lastNumber(t, ctx, st, "voucher")
				require.False(t, ok, "no counter is created for it")
			})
			t.Run("raising Start moves a sequence on; lowering it does nothing", func(t *testing.T) {
				up := newNumbering(t, st, map[string]sales.NumberFormat{"contract": {Prefix: "CTR", Start: 500, Digits: 3}})
				require.Equal(t, []string{"CTR-500", "CTR-501"}, draw(t, ctx, up, "contract", 2))
				down := newNumbering(t, st, map[string]sales.NumberFormat{"contract": {Prefix: "CTR", Start: 1, Digits: 3}})
				require.Equal(t, []string{"CTR-502"}, draw(t, ctx, down, "contract", 1))
			})
			t.Run("an exhausted sequence refuses to give out more", func(t *testing.T) {
				rec, err := st.Get(ctx, sales.NumberSequenceEntity, sales.NumberSequenceID("plain"))
				require.NoError(t, err)
				rec.Fields = crm.Fields{sales.NumberSequenceLastNumber: sales.MaxNumber}
				_, err = st.Update(ctx, rec)
				require.NoError(t, err)
				_, err = n.Next(ctx, "plain")
				requireInvalid(t, err, sales.NumberSequenceLastNumber)
				last, _ := lastNumber(t, ctx, st, "plain")
				require.Equal(t, sales.MaxNumber, last)
			})
		})
	}
}

func TestNumberFormatNumber(t *testing.T) {
	for _, c := range []struct {
		name string
		f    sales.NumberFormat
		n    int64
		want string
	}{
		{"prefix, dash, zero padding", sales.NumberFormat{Prefix: "QUO", Digits: 5}, 1000, "QUO-01000"},
		{"a number wider than Digits is written in full", sales.NumberFormat{Prefix: "Q", Digits: 2}, 12345, "Q-12345"},
		{"no prefix, no dash", sales.NumberFormat{Digits: 4}, 7, "0007"},
		{"no digits, no padding", sales.NumberFormat{Prefix: "A_b-1"}, 7, "A_b-1-7"},
		{"Format overrides prefix and digits", sales.NumberFormat{Prefix: "X", Digits: 9,
			Format: func(n int64) string { return fmt.Sprintf("#%d", n) }}, 7, "#7"},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, c.f.Validate())
			require.Equal(t, c.want, c.f.Number(c.n))
		})
	}
	for _, seq := range []string{sales.SequenceQuote, sales.SequenceOrder, sales.SequenceInvoice} {
		f, ok := sales.DefaultNumberFormat(seq)
		require.True(t, ok, seq)
		require.NoError(t, f.Validate())
	}
	_, ok := sales.DefaultNumberFormat("voucher")
	require.False(t, ok)
}

func TestNewNumberingRefuses(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, sales.Register(reg))
	st := memory.Open(reg)
	format := func(n int64) string { return fmt.Sprint(n) }
	for _, c := range []struct {
		name    string
		formats map[string]sales.NumberFormat
		want    string
	}{
		{"negative digits", map[string]sales.NumberFormat{"quote": {Prefix: "Q", Digits: -1}}, `sequence "quote": digits -1 outside 0..18`},
		{"more than 18 digits", map[string]sales.NumberFormat{"x": {Digits: 19}}, "digits 19 outside 0..18"},
		{"a negative start", map[string]sales.NumberFormat{"x": {Start: -1}}, "start -1 outside 0.."},
		{"a start past MaxNumber", map[string]sales.NumberFormat{"x": {Start: sales.MaxNumber + 1}}, "outside 0..999999999999999999"},
		{"a prefix with a space", map[string]sales.NumberFormat{"x": {Prefix: "Q O"}}, `prefix "Q O" has ' '`},
		{"a prefix with a slash", map[string]sales.NumberFormat{"x": {Prefix: "Q/"}}, `prefix "Q/" has '/'`},
		{"a prefix outside ASCII", map[string]sales.NumberFormat{"x": {Prefix: "DÉV"}}, `has 'É'`},
		{"a sequence name that is not a logical name", map[string]sales.NumberFormat{"Quote": {}}, `sequence "Quote": not a logical name`},
		{"an empty sequence name", map[string]sales.NumberFormat{"": {Format: format}}, `sequence "": not a logical name`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := sales.NewNumbering(st, c.formats)
			require.ErrorContains(t, err, c.want)
		})
	}
	t.Run("a prefix of any characters with Format", func(t *testing.T) {
		_, err := sales.NewNumbering(st, map[string]sales.NumberFormat{"x": {Prefix: "Q/ É", Format: format}})
		require.NoError(t, err)
	})
	t.Run("every fault at once", func(t *testing.T) {
		_, err := sales.NewNumbering(st, map[string]sales.NumberFormat{"x": {Digits: 19, Start: -1, Prefix: "?"}})
		require.ErrorContains(t, err, "digits 19")
		require.ErrorContains(t, err, "start -1")
		require.ErrorContains(t, err, `prefix "?"`)
	})
	t.Run("a store without the sales entities", func(t *testing.T) {
		_, err := sales.NewNumbering(memory.Open(crm.NewRegistry()), nil)
		require.ErrorIs(t, err, crm.ErrNotFound)
		require.ErrorContains(t, err, sales.NumberSequenceEntity)
	})
}

// TestNumberingConcurrent draws numbers of one new sequence from several
// goroutines at once, so that they also race to create its counter: every
// number is given out once, with no gap.
func TestNumberingConcurrent(t *testing.T) {
	const workers, each = 8, 20
	ctx := crm.AsSystem(context.Background())
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			st := b.store(t, nil, storage.WithRetries(20))
			n := newNumbering(t, st, nil)
			var wg sync.WaitGroup
			got := make([][]string, workers)
			errs := make([]error, workers)
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range each {
						s, err := n.Next(ctx, sales.SequenceInvoice)
						if err != nil {
							errs[w] = err
							return
						}
						got[w] = append(got[w], s)
					}
				}()
			}
			wg.Wait()
			require.NoError(t, errors.Join(errs...))
			var all, want []string
			for w := range workers {
				require.True(t, slices.IsSorted(got[w]), "one goroutine's numbers increase: %v", got[w])
				all = append(all, got[w]...)
			}
			for i := range int64(workers * each) {
				want = append(want, fmt.Sprintf("INV-%05d", 1000+i))
			}
			slices.Sort(all)
			require.Equal(t, want, all)
			last, _ := lastNumber(t, ctx, st, sales.SequenceInvoice)
			require.Equal(t, int64(1000+workers*each-1), last)
		})
	}
}

// TestNumberingFirstUseRace makes two transactions create a sequence's
// counter at once, deterministically: the second finds no counter, the
// first then commits its own, and the second's create fails. Next's error
// matches storage.ErrRetry, so the caller's InTx runs the second
// transaction again, which then draws the next number. Memory and SQLite
// serialize writing transactions from their start, so there the second
// one finds the counter committed and the race cannot happen; the
// concurrent test covers them.
func TestNumberingFirstUseRace(t *testing.T) {
	ctx := crm.AsSystem(context.Background())
	for _, b := range backends() {
		if b.name != "postgres" {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			st := b.store(t, nil)
			n := newNumbering(t, st, nil)
			type second struct{}
			secondLooked := make(chan struct{})
			var once sync.Once
			// The second transaction's create of the counter runs after
			// its lock found none: the moment to let the first commit.
			require.NoError(t, st.Hook(sales.NumberSequenceEntity, storage.OpCreate, storage.PreOperation,
				func(ctx context.Context, ev *storage.Event) error {
					if ctx.Value(second{}) != nil {
						once.Do(func() { close(secondLooked) })
					}
					return nil
				}))
			firstDrew := make(chan struct{})
			var first string
			var firstErr error
			firstDone := make(chan struct{})
			go func() {
				defer close(firstDone)
				firstErr = st.InTx(ctx, func(ctx context.Context) error {
					var err error
					first, err = n.Next(ctx, sales.SequenceQuote)
					close(firstDrew)
					<-secondLooked
					return err
				})
			}()
			<-firstDrew
			var attempts atomic.Int32
			var got string
			err := st.InTx(context.WithValue(ctx, second{}, true), func(ctx context.Context) error {
				attempts.Add(1)
				var err error
				got, err = n.Next(ctx, sales.SequenceQuote)
				if attempts.Load() == 1 {
					require.ErrorIs(t, err, storage.ErrRetry)
					require.ErrorIs(t, err, crm.ErrDuplicate)
				}
				return err
			})
			require.NoError(t, err)
			<-firstDone
			require.NoError(t, firstErr)
			require.Equal(t, int32(2), attempts.Load(), "the second transaction ran again")
			require.Equal(t, "QUO-01000", first)
			require.Equal(t, "QUO-01001", got)
		})
	}
}

func TestNumberingRollback(t *testing.T) {
	ctx := crm.AsSystem(context.Background())
	failure := errors.New("the quote could not be saved")
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			st := b.store(t, nil)
			n := newNumbering(t, st, nil)
			drawAndFail := func() {
				t.Helper()
				err := st.InTx(ctx, func(ctx context.Context) error {
					_, err := n.Next(ctx, sales.SequenceQuote)
					require.NoError(t, err)
					return failure
				})
				require.ErrorIs(t, err, failure)
			}

			t.Run("a first number drawn in a failed transaction leaves no counter", func(t *testing.T) {
				drawAndFail()
				_, ok := lastNumber(t, ctx, st, sales.SequenceQuote)
				require.False(t, ok)
			})
			t.Run("a number drawn in a failed transaction is given out again", func(t *testing.T) {
				require.Equal(t, []string{"QUO-01000"}, draw(t, ctx, n, sales.SequenceQuote, 1))
				drawAndFail()
				last, _ := lastNumber(t, ctx, st, sales.SequenceQuote)
				require.Equal(t, int64(1000), last, "the counter is unchanged")
				require.Equal(t, []string{"QUO-01001"}, draw(t, ctx, n, sales.SequenceQuote, 1))
			})
		})
	}
}

// TestNumberSequenceRules writes counters through the generic store,
// around Numbering: the rules hold at every door.
func TestNumberSequenceRules(t *testing.T) {
	ctx := crm.AsSystem(context.Background())
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			st := b.store(t, nil)
			counter := func(name string, last int64) crm.Record {
				return crm.Record{Entity: sales.NumberSequenceEntity, Header: crm.Header{ID: sales.NumberSequenceID(name)},
					Fields: crm.Fields{sales.NumberSequenceName: name, sales.NumberSequenceLastNumber: last}}
			}
			rec, err := st.Create(ctx, counter("quote", 1005))
			require.NoError(t, err)
			set := func(last int64) error {
				_, err := st.Update(ctx, crm.Record{Entity: sales.NumberSequenceEntity, Header: crm.Header{ID: rec.ID},
					Fields: crm.Fields{sales.NumberSequenceLastNumber: last}})
				return err
			}

			t.Run("moving the last number back is refused", func(t *testing.T) {
				requireInvalid(t, set(1004), sales.NumberSequenceLastNumber)
				requireInvalid(t, set(0), sales.NumberSequenceLastNumber)
				last, _ := lastNumber(t, ctx, st, "quote")
				require.Equal(t, int64(1005), last)
			})
			t.Run("moving it forward, or keeping it, is allowed", func(t *testing.T) {
				require.NoError(t, set(1005))
				require.NoError(t, set(2000))
				n := newNumbering(t, st, nil)
				require.Equal(t, []string{"QUO-02001"}, draw(t, ctx, n, sales.SequenceQuote, 1))
			})
			t.Run("clearing it is refused", func(t *testing.T) {
				_, err := st.Update(ctx, crm.Record{Entity: sales.NumberSequenceEntity, Header: crm.Header{ID: rec.ID},
					Fields: crm.Fields{sales.NumberSequenceLastNumber: nil}})
				requireInvalid(t, err, sales.NumberSequenceLastNumber)
			})
			t.Run("a negative last number is refused", func(t *testing.T) {
				_, err := st.Create(ctx, counter("credit", -1))
				requireInvalid(t, err, sales.NumberSequenceLastNumber)
			})
			t.Run("an import may move it back", func(t *testing.T) {
				_, err := st.Import(ctx, []crm.Record{counter("quote", 10)}, storage.ImportOptions{Key: sales.NumberSequenceNameKey})
				require.NoError(t, err)
				last, _ := lastNumber(t, ctx, st, "quote")
				require.Equal(t, int64(10), last)
			})
			t.Run("a counter's ID derives from its name", func(t *testing.T) {
				bad := counter("order", 1)
				bad.ID = crm.NewID()
				_, err := st.Create(ctx, bad)
				requireInvalid(t, err, sales.NumberSequenceName)
				bad.ID = crm.NilID
				_, err = st.Create(ctx, bad)
				requireInvalid(t, err, sales.NumberSequenceName)
			})
			t.Run("a counter's name is a logical name", func(t *testing.T) {
				_, err := st.Create(ctx, counter("Order", 1))
				requireInvalid(t, err, sales.NumberSequenceName)
			})
			t.Run("a counter's name cannot change", func(t *testing.T) {
				_, err := st.Update(ctx, crm.Record{Entity: sales.NumberSequenceEntity, Header: crm.Header{ID: rec.ID},
					Fields: crm.Fields{sales.NumberSequenceName: "order"}})
				requireInvalid(t, err, sales.NumberSequenceName)
			})
		})
	}
}
