package sales_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/crmtest"
	"github.com/crmkit/crmkit/internal/stores"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage/driver"
)

// docEntities are what the document operations create: after a failed
// one, none has more or fewer records than before.
var docEntities = []string{sales.QuoteEntity, sales.QuoteLineEntity, sales.OrderEntity, sales.OrderLineEntity,
	sales.InvoiceEntity, sales.InvoiceLineEntity, activity.QuoteClose, activity.OrderClose, activity.PointerEntity}

func docCounts(t *testing.T, e *docEnv) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, entity := range docEntities {
		out[entity] = countOf(t, e, entity)
	}
	return out
}

// requireAtomic runs op with its 1st, 2nd, ... write failing until it
// succeeds, and checks after each failure that the counts of docEntities
// and the documents in watch (header and lines) are as they were. It
// returns how many writes the successful run made.
func requireAtomic(t *testing.T, e *docEnv, fd *crmtest.FailingDriver, what string, watch []crm.Ref, op func() error) int {
	t.Helper()
	before := docCounts(t, e)
	snaps := make([]docSnapshot, len(watch))
	for i, ref := range watch {
		snaps[i] = e.snapshot(t, ref)
	}
	for n := 1; n <= 100; n++ {
		fd.FailAt(n)
		err := op()
		writes := fd.Writes()
		fd.FailAt(0)
		if err == nil {
			require.Greater(t, n, 1, "%s: it writes", what)
			require.Equal(t, n-1, writes, "%s: writes counted", what)
			return writes
		}
		require.ErrorIs(t, err, crmtest.ErrInjected, "%s: write %d", what, n)
		require.Equal(t, before, docCounts(t, e), "%s: write %d failed: nothing is left", what, n)
		for _, s := range snaps {
			e.requireUnchanged(t, s, fmt.Sprintf("%s: write %d failed", what, n))
		}
	}
	t.Fatalf("%s: no success in 100 writes", what)
	return 0
}

// keep sets *doc to out when the operation that returned them
// succeeded: a failed one leaves the document as the test last read it.
func keep[D any](doc *D, out D, err error) error {
	if err == nil {
		*doc = out
	}
	return err
}

// TestDocumentOperationsAreAtomic fails each write of each operation of
// the quote-to-cash chain in turn, and checks that every failure leaves
// no partial state: no new header, no lines, no close activity, the
// source unchanged.
func TestDocumentOperationsAreAtomic(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			var fd *crmtest.FailingDriver
			e := newDocEnv(t, b, func(d driver.Driver) driver.Driver { fd = crmtest.NewFailingDriver(d); return fd })
			ctx := e.ctx
			opp := e.workedOpportunity(t)
			var (
				q, rev sales.Quote
				order  sales.Order
				inv    sales.Invoice
			)
			requireAtomic(t, e, fd, "FromOpportunity", []crm.Ref{opp.Ref()}, func() error {
				out, err := e.quotes.FromOpportunity(ctx, opp.ID, sales.Quote{})
				return keep(&q, out, err)
			})
			ql, err := e.quotes.Lines(ctx, q.ID)
			require.NoError(t, err)
			require.Len(t, ql, 2)
			q, err = e.quotes.Activate(ctx, q.ID, q.Version)
			require.NoError(t, err)

			requireAtomic(t, e, fd, "Revise", []crm.Ref{q.Ref()}, func() error {
				out, err := e.quotes.Revise(ctx, q.ID, q.Version)
				return keep(&rev, out, err)
			})
			requireAtomic(t, e, fd, "AddLine", []crm.Ref{rev.Ref()}, func() error {
				_, out, err := e.quotes.AddLine(ctx, sales.Line{Document: rev.Ref(), WriteIn: true, Description: "Installation",
					Quantity: dec("1"), PricePerUnit: usdp("79.00")})
				return keep(&rev, out, err)
			})
			rev, err = e.quotes.Activate(ctx, rev.ID, rev.Version)
			require.NoError(t, err)
			requireAtomic(t, e, fd, "Win", []crm.Ref{rev.Ref()}, func() error {
				out, _, err := e.quotes.Win(ctx, rev.ID, rev.Version, sales.CloseOptions{})
				return keep(&rev, out, err)
			})

			requireAtomic(t, e, fd, "FromQuote", []crm.Ref{rev.Ref()}, func() error {
				out, err := e.orders.FromQuote(ctx, rev.ID)
				return keep(&order, out, err)
			})
			ol, err := e.orders.Lines(ctx, order.ID)
			require.NoError(t, err)
			require.Len(t, ol, 3)
			require.Equal(t, totals(rev.Document), totals(order.Document))

			requireAtomic(t, e, fd, "Fulfill", []crm.Ref{order.Ref()}, func() error {
				out, _, err := e.orders.Fulfill(ctx, order.ID, order.Version, 0, sales.CloseOptions{})
				return keep(&order, out, err)
			})
			requireAtomic(t, e, fd, "FromOrder", []crm.Ref{order.Ref()}, func() error {
				out, err := e.invoices.FromOrder(ctx, order.ID)
				return keep(&inv, out, err)
			})
			il, err := e.invoices.Lines(ctx, inv.ID)
			require.NoError(t, err)
			require.Len(t, il, 3)
			require.Equal(t, totals(order.Document), totals(inv.Document))

			requireAtomic(t, e, fd, "Pay", []crm.Ref{inv.Ref()}, func() error {
				out, err := e.invoices.Pay(ctx, inv.ID, inv.Version, 0)
				return keep(&inv, out, err)
			})
			require.Equal(t, sales.InvoiceStatePaid, inv.InvoiceState())
		})
	}
}

// concurrently runs op from goroutines goroutines released at once and
// returns their errors.
func concurrently(goroutines int, op func() error) []error {
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, goroutines)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = op()
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// requireExactlyOne runs op from goroutines goroutines at once and
// checks that exactly one succeeds and every other fails with one of
// losers.
func requireExactlyOne(t *testing.T, goroutines int, op func() error, losers ...error) {
	t.Helper()
	errs := concurrently(goroutines, op)
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		lost := slices.ContainsFunc(losers, func(l error) bool { return errors.Is(err, l) })
		require.True(t, lost, "unexpected error %v", err)
	}
	require.Equal(t, 1, ok, "exactly one succeeds: %v", errs)
}

// TestConvertDocumentsOnce converts one won quote, then one order, from
// two and from four goroutines at once: exactly one order, and exactly
// one invoice, exist afterwards.
func TestConvertDocumentsOnce(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			for _, goroutines := range []int{2, 4} {
				q := e.wonQuote(t)
				requireExactlyOne(t, goroutines, func() error {
					_, err := e.orders.FromQuote(ctx, q.ID)
					return err
				}, sales.ErrAlreadyConverted, crm.ErrConflict)
				orders, err := e.orders.Search(ctx, crm.Query{Where: crm.Eq(sales.OrderQuote, q.Ref())})
				require.NoError(t, err)
				require.Len(t, orders.Records, 1, "%d goroutines: one order", goroutines)
				order := orders.Records[0]

				requireExactlyOne(t, goroutines, func() error {
					_, err := e.invoices.FromOrder(ctx, order.ID)
					return err
				}, crm.ErrInvalidTransition, crm.ErrConflict)
				require.Equal(t, int64(1), countWhere(t, e, sales.InvoiceEntity, crm.Eq(sales.InvoiceOrder, order.Ref())),
					"%d goroutines: one invoice", goroutines)
				inv, err := e.invoices.Search(ctx, crm.Query{Where: crm.Eq(sales.InvoiceOrder, order.Ref())})
				require.NoError(t, err)
				lines, err := e.invoices.Lines(ctx, inv.Records[0].ID)
				require.NoError(t, err)
				require.Len(t, lines, 1, "one copy of each line")
				order, err = e.orders.Get(ctx, order.ID)
				require.NoError(t, err)
				require.Equal(t, sales.OrderStateInvoiced, order.OrderState())
			}
		})
	}
}

// TestConcurrentAddLine adds lines to one quote from several goroutines
// at once: every line is there, each with its own sequence number, and
// the header's totals are the sums of the lines (no update lost).
// CRMKIT_DOC_LINES sets how many lines each goroutine adds.
func TestConcurrentAddLine(t *testing.T) {
	const goroutines = 4
	perGoroutine := stores.EnvSize(t, "CRMKIT_DOC_LINES", 3, 1)
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			q := e.draftQuote(t)
			errs := concurrently(goroutines, func() error {
				for range perGoroutine {
					_, _, err := e.quotes.AddLine(e.ctx, sales.Line{Document: q.Ref(), Product: e.b.Ref(), Quantity: dec("1"),
						Tax: usdp("1.50")})
					if err != nil {
						return err
					}
				}
				return nil
			})
			require.NoError(t, errors.Join(errs...))

			lines, err := e.quotes.Lines(e.ctx, q.ID)
			require.NoError(t, err)
			require.Len(t, lines, 1+goroutines*perGoroutine)
			q, err = e.quotes.Get(e.ctx, q.ID)
			require.NoError(t, err)
			detail, tax, total := decimal.Zero, decimal.Zero, decimal.Zero
			seqs := map[int64]bool{}
			for _, l := range lines {
				detail = detail.Add(l.Amount.Amount).Sub(amountOf(l.ManualDiscount))
				tax = tax.Add(amountOf(l.Tax))
				total = total.Add(l.ExtendedAmount.Amount)
				seqs[l.Sequence] = true
			}
			require.Len(t, seqs, len(lines), "each line has its own sequence number")
			n := int64(goroutines * perGoroutine)
			requireUSD(t, decimal.NewFromInt(200+60*n).StringFixed(2), q.TotalLineItemAmount, "detail amount")
			require.True(t, detail.Equal(q.TotalLineItemAmount.Amount), "detail amount is the lines' %s", detail)
			require.True(t, tax.Equal(q.TotalTax.Amount), "tax is the lines' %s", tax)
			require.True(t, total.Equal(q.TotalAmount.Amount), "total is the lines' %s", total)
		})
	}
}

// amountOf is an optional amount's value, zero when there is none.
func amountOf(m *crm.Money) decimal.Decimal {
	if m == nil {
		return decimal.Zero
	}
	return m.Amount
}

// TestConcurrentCreateNumbers creates quotes, orders and invoices from
// several goroutines at once: every document gets a number of its own.
// CRMKIT_DOC_CREATES sets how many of each a goroutine creates.
func TestConcurrentCreateNumbers(t *testing.T) {
	const goroutines = 4
	perGoroutine := stores.EnvSize(t, "CRMKIT_DOC_CREATES", 3, 1)
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			var mu sync.Mutex
			numbers := map[string][]string{}
			keepNumber := func(entity, number string) {
				mu.Lock()
				defer mu.Unlock()
				numbers[entity] = append(numbers[entity], number)
			}
			errs := concurrently(goroutines, func() error {
				for range perGoroutine {
					q, err := e.quotes.Create(e.ctx, sales.Quote{Document: e.header("Q")})
					if err != nil {
						return err
					}
					keepNumber(sales.QuoteEntity, q.Number)
					o, err := e.orders.Create(e.ctx, sales.Order{Document: e.header("O")})
					if err != nil {
						return err
					}
					keepNumber(sales.OrderEntity, o.Number)
					i, err := e.invoices.Create(e.ctx, sales.Invoice{Document: e.header("I")})
					if err != nil {
						return err
					}
					keepNumber(sales.InvoiceEntity, i.Number)
				}
				return nil
			})
			require.NoError(t, errors.Join(errs...))
			for _, entity := range []string{sales.QuoteEntity, sales.OrderEntity, sales.InvoiceEntity} {
				got := numbers[entity]
				require.Len(t, got, goroutines*perGoroutine, entity)
				unique := map[string]bool{}
				for _, n := range got {
					require.NotEmpty(t, n, entity)
					unique[n] = true
				}
				require.Len(t, unique, len(got), "%s numbers are unique: %v", entity, got)
				require.Equal(t, int64(len(got)), countOf(t, e, entity))
			}
		})
	}
}
