package sales_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/activity"
	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/storagetest"
)

// docLines names, for each kind of priced document, its line entity and the
// line's lookup to it.
var docLines = map[string]struct{ entity, parent string }{
	sales.QuoteEntity:       {sales.QuoteLineEntity, "quoteid"},
	sales.OrderEntity:       {sales.OrderLineEntity, "salesorderid"},
	sales.InvoiceEntity:     {sales.InvoiceLineEntity, "invoiceid"},
	sales.OpportunityEntity: {sales.OpportunityLineEntity, sales.OpportunityLineOpportunity},
}

// docSnapshot is a document as stored, header and lines, to check that a
// refused write changed nothing.
type docSnapshot struct {
	Header crm.Record
	Lines  []crm.Record
}

func (e *docEnv) snapshot(t *testing.T, ref crm.Ref) docSnapshot {
	t.Helper()
	h, err := e.store.Get(e.ctx, ref.Entity, ref.ID)
	require.NoError(t, err)
	l := docLines[ref.Entity]
	page, err := e.store.Query(e.ctx, crm.Query{Entity: l.entity, Where: crm.Eq(l.parent, ref),
		OrderBy: []crm.Order{crm.Asc(crm.FieldID)}, Limit: crm.MaxPageSize})
	require.NoError(t, err)
	return docSnapshot{Header: h, Lines: page.Records}
}

// requireUnchanged checks that the document of s is still as s holds it.
func (e *docEnv) requireUnchanged(t *testing.T, s docSnapshot, what string) {
	t.Helper()
	require.Equal(t, s, e.snapshot(t, s.Header.Ref()), "%s: the %s changed", what, s.Header.Entity)
}

// requireTransition checks that err is a refused lifecycle event.
func requireTransition(t *testing.T, err error, what string) *crm.TransitionError {
	t.Helper()
	require.ErrorIs(t, err, crm.ErrInvalidTransition, what)
	var te *crm.TransitionError
	require.ErrorAs(t, err, &te, what)
	return te
}

// requireRefused runs the operations of ops called names on the
// document ref, in state state, and checks that each is a refused
// transition that leaves the document as it was.
func (e *docEnv) requireRefused(t *testing.T, ref crm.Ref, state string, ops map[string]func() error, names ...string) {
	t.Helper()
	s := e.snapshot(t, ref)
	for _, name := range names {
		op, ok := ops[name]
		require.True(t, ok, "unknown operation %s", name)
		requireTransition(t, op(), name+" a "+state+" "+ref.Entity)
		e.requireUnchanged(t, s, name)
	}
}

// header is the shared header of the documents the tests create by hand:
// the env's customer on the Retail price list.
func (e *docEnv) header(name string) sales.Document {
	return sales.Document{Name: name, Customer: e.customer, PriceList: e.list.Ref()}
}

// line is one line of 2 × product A (200.00) on doc.
func (e *docEnv) line(doc crm.Ref) sales.Line {
	return sales.Line{Document: doc, Product: e.a.Ref(), Quantity: dec("2")}
}

// withLine creates d through docs with one line (e.line) and returns it
// as stored.
func withLine[D interface{ Ref() crm.Ref }](t *testing.T, e *docEnv, docs *sales.Documents[D], d D) D {
	t.Helper()
	d, err := docs.Create(e.ctx, d)
	require.NoError(t, err)
	_, d, err = docs.AddLine(e.ctx, e.line(d.Ref()))
	require.NoError(t, err)
	return d
}

// draftQuote creates a Draft quote with one line, created on its own.
func (e *docEnv) draftQuote(t *testing.T) sales.Quote {
	t.Helper()
	return withLine(t, e, e.quotes.Documents, sales.Quote{Document: e.header("Hardware quote")})
}

func (e *docEnv) activeQuote(t *testing.T) sales.Quote {
	t.Helper()
	q := e.draftQuote(t)
	q, err := e.quotes.Activate(e.ctx, q.ID, q.Version)
	require.NoError(t, err)
	return q
}

func (e *docEnv) wonQuote(t *testing.T) sales.Quote {
	t.Helper()
	q := e.activeQuote(t)
	q, _, err := e.quotes.Win(e.ctx, q.ID, q.Version, sales.CloseOptions{})
	require.NoError(t, err)
	return q
}

// invoiced activates and wins the Draft quote q and takes it to an order
// and an invoice, returning all three as stored.
func (e *docEnv) invoiced(t *testing.T, q sales.Quote) (sales.Quote, sales.Order, sales.Invoice) {
	t.Helper()
	q, err := e.quotes.Activate(e.ctx, q.ID, q.Version)
	require.NoError(t, err)
	q, _, err = e.quotes.Win(e.ctx, q.ID, q.Version, sales.CloseOptions{})
	require.NoError(t, err)
	order, err := e.orders.FromQuote(e.ctx, q.ID)
	require.NoError(t, err)
	inv, err := e.invoices.FromOrder(e.ctx, order.ID)
	require.NoError(t, err)
	return q, order, inv
}

// activeOrder creates an Active order with one line, created on its own
// (no quote).
func (e *docEnv) activeOrder(t *testing.T) sales.Order {
	t.Helper()
	return withLine(t, e, e.orders.Documents, sales.Order{Document: e.header("Hardware order")})
}

// activeInvoice creates an Active invoice with one line, created on its
// own (no order).
func (e *docEnv) activeInvoice(t *testing.T) sales.Invoice {
	t.Helper()
	return withLine(t, e, e.invoices.Documents, sales.Invoice{Document: e.header("Hardware invoice")})
}

func TestDocumentCodecs(t *testing.T) {
	reg := crm.NewRegistry()
	require.NoError(t, sales.Register(reg))
	storagetest.CheckCodec(t, reg, sales.QuoteCodec())
	storagetest.CheckCodec(t, reg, sales.OrderCodec())
	storagetest.CheckCodec(t, reg, sales.InvoiceCodec())
	storagetest.CheckCodec(t, reg, sales.QuoteLineCodec())
	storagetest.CheckCodec(t, reg, sales.OrderLineCodec())
	storagetest.CheckCodec(t, reg, sales.InvoiceLineCodec())
}

// TestQuoteLifecycle walks every transition of a quote through Quotes and
// every refused one: a refusal is a *crm.TransitionError and changes
// nothing.
func TestQuoteLifecycle(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			refused := func(t *testing.T, q sales.Quote, ops ...string) {
				t.Helper()
				e.requireRefused(t, q.Ref(), q.QuoteState().String(), map[string]func() error{
					"activate": func() error { _, err := e.quotes.Activate(ctx, q.ID, q.Version); return err },
					"revise":   func() error { _, err := e.quotes.Revise(ctx, q.ID, q.Version); return err },
					"win": func() error {
						_, _, err := e.quotes.Win(ctx, q.ID, q.Version, sales.CloseOptions{})
						return err
					},
					"close": func() error {
						_, _, err := e.quotes.Close(ctx, q.ID, q.Version, sales.QuoteStatusLost, sales.CloseOptions{})
						return err
					},
					"update": func() error {
						q.Description = "changed"
						_, err := e.quotes.Update(ctx, q)
						return err
					},
					"addline": func() error { _, _, err := e.quotes.AddLine(ctx, e.line(q.Ref())); return err },
				}, ops...)
			}

			t.Run("draft", func(t *testing.T) {
				q := e.draftQuote(t)
				require.Equal(t, sales.QuoteStateDraft, q.QuoteState())
				require.Equal(t, sales.QuoteStatusDraft, q.QuoteStatus())
				require.Equal(t, int64(0), q.Revision)
				refused(t, q, "revise", "win", "close")
				q, err := e.quotes.Activate(ctx, q.ID, q.Version)
				require.NoError(t, err)
				require.Equal(t, sales.QuoteStateActive, q.QuoteState())
				require.Equal(t, sales.QuoteStatusActive, q.QuoteStatus())
				refused(t, q, "activate", "update", "addline")

				// A quote closes as Lost or Canceled only: Won is Win's,
				// Revised is Revise's.
				s := e.snapshot(t, q.Ref())
				for _, status := range []sales.QuoteStatus{sales.QuoteStatusWon, sales.QuoteStatusRevised, sales.QuoteStatusActive} {
					_, _, err := e.quotes.Close(ctx, q.ID, q.Version, status, sales.CloseOptions{})
					requireInvalid(t, err, crm.FieldStatus)
					e.requireUnchanged(t, s, "close as "+status.String())
				}
			})

			t.Run("won", func(t *testing.T) {
				q := e.activeQuote(t)
				q, _, err := e.quotes.Win(ctx, q.ID, q.Version, sales.CloseOptions{})
				require.NoError(t, err)
				require.Equal(t, sales.QuoteStateWon, q.QuoteState())
				require.Equal(t, sales.QuoteStatusWon, q.QuoteStatus())
				require.Equal(t, e.store.Now(ctx).UTC().Truncate(24*time.Hour), q.ClosedOn.UTC())
				refused(t, q, "activate", "revise", "win", "close", "update", "addline")
			})

			for _, status := range []sales.QuoteStatus{0, sales.QuoteStatusLost, sales.QuoteStatusCanceled} {
				t.Run("closed "+status.String(), func(t *testing.T) {
					q := e.activeQuote(t)
					date := time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
					q, _, err := e.quotes.Close(ctx, q.ID, q.Version, status, sales.CloseOptions{Date: date})
					require.NoError(t, err)
					want := status
					if want == 0 {
						want = sales.QuoteStatusLost
					}
					require.Equal(t, sales.QuoteStateClosed, q.QuoteState())
					require.Equal(t, want, q.QuoteStatus())
					require.True(t, date.Equal(q.ClosedOn), "closed on %v", q.ClosedOn)
					refused(t, q, "activate", "revise", "win", "close", "update", "addline")
				})
			}

			t.Run("revised", func(t *testing.T) {
				q0 := e.activeQuote(t)
				q1, err := e.quotes.Revise(ctx, q0.ID, q0.Version)
				require.NoError(t, err)
				require.Equal(t, sales.QuoteStateDraft, q1.QuoteState())
				require.Equal(t, int64(1), q1.Revision)
				require.Equal(t, q0.Number, q1.Number)
				require.True(t, q1.ClosedOn.IsZero())
				q0, err = e.quotes.Get(ctx, q0.ID)
				require.NoError(t, err)
				require.Equal(t, sales.QuoteStateClosed, q0.QuoteState())
				require.Equal(t, sales.QuoteStatusRevised, q0.QuoteStatus())
				require.True(t, q0.ClosedOn.IsZero(), "a revision is no close")
				refused(t, q0, "activate", "revise", "win", "close", "update", "addline")
				refused(t, q1, "revise", "win", "close")

				q1, err = e.quotes.Activate(ctx, q1.ID, q1.Version)
				require.NoError(t, err)
				q2, err := e.quotes.Revise(ctx, q1.ID, q1.Version)
				require.NoError(t, err)
				require.Equal(t, int64(2), q2.Revision)
				revs, err := e.quotes.Revisions(ctx, q0.Number)
				require.NoError(t, err)
				require.Equal(t, []crm.ID{q0.ID, q1.ID, q2.ID}, ids(revs))
				require.Equal(t, []sales.QuoteStatus{sales.QuoteStatusRevised, sales.QuoteStatusRevised, sales.QuoteStatusDraft},
					[]sales.QuoteStatus{revs[0].QuoteStatus(), revs[1].QuoteStatus(), revs[2].QuoteStatus()})
				// A stale version is a conflict, not a second revision.
				_, err = e.quotes.Revise(ctx, q1.ID, q0.Version)
				require.Error(t, err)
				n, err := e.quotes.Count(ctx, crm.Query{Where: crm.Eq(sales.QuoteNumber, q0.Number)})
				require.NoError(t, err)
				require.Equal(t, int64(3), n)
			})
		})
	}
}

// TestOrderLifecycle walks every transition of an order through Orders
// and Invoices.FromOrder and every refused one.
func TestOrderLifecycle(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			refused := func(t *testing.T, o sales.Order, ops ...string) {
				t.Helper()
				invoices := countOf(t, e, sales.InvoiceEntity)
				e.requireRefused(t, o.Ref(), o.OrderState().String(), map[string]func() error{
					"submit": func() error { _, err := e.orders.Submit(ctx, o.ID, o.Version); return err },
					"fulfill": func() error {
						_, _, err := e.orders.Fulfill(ctx, o.ID, o.Version, 0, sales.CloseOptions{})
						return err
					},
					"cancel": func() error {
						_, _, err := e.orders.Cancel(ctx, o.ID, o.Version, sales.CloseOptions{})
						return err
					},
					"invoice": func() error { _, err := e.invoices.FromOrder(ctx, o.ID); return err },
					"update": func() error {
						o.Description = "changed"
						_, err := e.orders.Update(ctx, o)
						return err
					},
					"addline": func() error { _, _, err := e.orders.AddLine(ctx, e.line(o.Ref())); return err },
					"lock":    func() error { _, err := e.orders.LockPricing(ctx, o.ID, o.Version); return err },
				}, ops...)
				require.Equal(t, invoices, countOf(t, e, sales.InvoiceEntity), "no invoice")
			}

			t.Run("submitted fulfilled invoiced", func(t *testing.T) {
				o := e.activeOrder(t)
				require.Equal(t, sales.OrderStateActive, o.OrderState())
				require.Equal(t, sales.OrderStatusNew, o.OrderStatus())
				// Fulfilled is Complete or Partial only.
				s := e.snapshot(t, o.Ref())
				for _, status := range []sales.OrderStatus{sales.OrderStatusNoMoney, sales.OrderStatusInvoiced, sales.OrderStatusNew} {
					_, _, err := e.orders.Fulfill(ctx, o.ID, o.Version, status, sales.CloseOptions{})
					requireInvalid(t, err, crm.FieldStatus)
					e.requireUnchanged(t, s, "fulfill as "+status.String())
				}
				o, err := e.orders.Submit(ctx, o.ID, o.Version)
				require.NoError(t, err)
				require.Equal(t, sales.OrderStateSubmitted, o.OrderState())
				require.Equal(t, sales.OrderStatusInProgress, o.OrderStatus())
				refused(t, o, "submit", "update", "addline", "lock")
				o, _, err = e.orders.Fulfill(ctx, o.ID, o.Version, 0, sales.CloseOptions{})
				require.NoError(t, err)
				require.Equal(t, sales.OrderStateFulfilled, o.OrderState())
				require.Equal(t, sales.OrderStatusComplete, o.OrderStatus())
				require.False(t, o.DateFulfilled.IsZero())
				refused(t, o, "submit", "fulfill", "cancel", "update", "addline", "lock")
				_, err = e.invoices.FromOrder(ctx, o.ID)
				require.NoError(t, err, "a fulfilled order is invoiced")
				o, err = e.orders.Get(ctx, o.ID)
				require.NoError(t, err)
				require.Equal(t, sales.OrderStateInvoiced, o.OrderState())
				require.Equal(t, sales.OrderStatusInvoiced, o.OrderStatus())
				refused(t, o, "submit", "fulfill", "cancel", "invoice", "update", "addline", "lock")
			})

			t.Run("fulfilled partial from active", func(t *testing.T) {
				o := e.activeOrder(t)
				o, _, err := e.orders.Fulfill(ctx, o.ID, o.Version, sales.OrderStatusPartial, sales.CloseOptions{})
				require.NoError(t, err)
				require.Equal(t, sales.OrderStateFulfilled, o.OrderState())
				require.Equal(t, sales.OrderStatusPartial, o.OrderStatus())
			})

			t.Run("canceled from active", func(t *testing.T) {
				o := e.activeOrder(t)
				o, _, err := e.orders.Cancel(ctx, o.ID, o.Version, sales.CloseOptions{})
				require.NoError(t, err)
				require.Equal(t, sales.OrderStateCanceled, o.OrderState())
				require.Equal(t, sales.OrderStatusNoMoney, o.OrderStatus())
				refused(t, o, "submit", "fulfill", "cancel", "invoice", "update", "addline", "lock")
			})

			t.Run("canceled from submitted", func(t *testing.T) {
				o := e.activeOrder(t)
				o, err := e.orders.Submit(ctx, o.ID, o.Version)
				require.NoError(t, err)
				o, _, err = e.orders.Cancel(ctx, o.ID, o.Version, sales.CloseOptions{})
				require.NoError(t, err)
				require.Equal(t, sales.OrderStateCanceled, o.OrderState())
			})

			t.Run("invoiced from active", func(t *testing.T) {
				o := e.activeOrder(t)
				_, err := e.invoices.FromOrder(ctx, o.ID)
				require.NoError(t, err)
				o, err = e.orders.Get(ctx, o.ID)
				require.NoError(t, err)
				require.Equal(t, sales.OrderStateInvoiced, o.OrderState())
				refused(t, o, "fulfill", "cancel", "invoice")
			})
		})
	}
}

// TestInvoiceLifecycle walks every transition of an invoice through
// Invoices and every refused one.
func TestInvoiceLifecycle(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			refused := func(t *testing.T, i sales.Invoice, ops ...string) {
				t.Helper()
				e.requireRefused(t, i.Ref(), i.InvoiceState().String(), map[string]func() error{
					"pay":        func() error { _, err := e.invoices.Pay(ctx, i.ID, i.Version, 0); return err },
					"cancel":     func() error { _, err := e.invoices.Cancel(ctx, i.ID, i.Version); return err },
					"reactivate": func() error { _, err := e.invoices.Reactivate(ctx, i.ID, i.Version); return err },
					"update": func() error {
						i.Description = "changed"
						_, err := e.invoices.Update(ctx, i)
						return err
					},
					"addline": func() error { _, _, err := e.invoices.AddLine(ctx, e.line(i.Ref())); return err },
					"unlock":  func() error { _, err := e.invoices.UnlockPricing(ctx, i.ID, i.Version); return err },
				}, ops...)
			}
			step := func(t *testing.T, i sales.Invoice, err error, state sales.InvoiceState, status sales.InvoiceStatus) sales.Invoice {
				t.Helper()
				require.NoError(t, err)
				require.Equal(t, state, i.InvoiceState())
				require.Equal(t, status, i.InvoiceStatus())
				return i
			}

			i := e.activeInvoice(t)
			require.Equal(t, sales.InvoiceStatusNew, i.InvoiceStatus())
			refused(t, i, "reactivate")
			s := e.snapshot(t, i.Ref())
			for _, status := range []sales.InvoiceStatus{sales.InvoiceStatusCanceled, sales.InvoiceStatusBilled} {
				_, err := e.invoices.Pay(ctx, i.ID, i.Version, status)
				requireInvalid(t, err, crm.FieldStatus)
				e.requireUnchanged(t, s, "pay as "+status.String())
			}

			i, err := e.invoices.Pay(ctx, i.ID, i.Version, 0)
			i = step(t, i, err, sales.InvoiceStatePaid, sales.InvoiceStatusComplete)
			refused(t, i, "pay", "cancel", "update", "addline", "unlock")
			i, err = e.invoices.Reactivate(ctx, i.ID, i.Version)
			i = step(t, i, err, sales.InvoiceStateActive, sales.InvoiceStatusNew)
			i, err = e.invoices.Pay(ctx, i.ID, i.Version, sales.InvoiceStatusPartial)
			i = step(t, i, err, sales.InvoiceStatePaid, sales.InvoiceStatusPartial)
			i, err = e.invoices.Reactivate(ctx, i.ID, i.Version)
			i = step(t, i, err, sales.InvoiceStateActive, sales.InvoiceStatusNew)
			i, err = e.invoices.Cancel(ctx, i.ID, i.Version)
			i = step(t, i, err, sales.InvoiceStateCanceled, sales.InvoiceStatusCanceled)
			refused(t, i, "pay", "cancel", "update", "addline", "unlock")
			i, err = e.invoices.Reactivate(ctx, i.ID, i.Version)
			i = step(t, i, err, sales.InvoiceStateActive, sales.InvoiceStatusNew)
			// Active again, it changes again.
			_, _, err = e.invoices.AddLine(ctx, e.line(i.Ref()))
			require.NoError(t, err)
		})
	}
}

// countOf counts the records of entity.
func countOf(t *testing.T, e *docEnv, entity string) int64 {
	t.Helper()
	n, err := e.store.Count(e.ctx, crm.Query{Entity: entity})
	require.NoError(t, err)
	return n
}

// ids returns the IDs of records, in order.
func ids[T interface{ Ref() crm.Ref }](recs []T) []crm.ID {
	out := make([]crm.ID, len(recs))
	for i, r := range recs {
		out[i] = r.Ref().ID
	}
	return out
}

// TestDocumentDoors checks that the store's generic writes (Create,
// Update, SetState, ChangeState) cannot do what only the documents'
// operations do, and that each refusal changes nothing.
func TestDocumentDoors(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			st := e.store
			// operationOnly fires each event on doc through the generic
			// store, with and without field changes: each is refused, as an
			// event of its operation when op (the state allows the event,
			// only not on its own).
			operationOnly := func(t *testing.T, doc crm.Ref, version int64, op bool, fields crm.Fields, events ...string) {
				t.Helper()
				s := e.snapshot(t, doc)
				for _, ev := range events {
					_, err := st.SetState(ctx, doc, version, ev, 0)
					te := requireTransition(t, err, "SetState "+ev)
					if op {
						require.NotEmpty(t, te.Operation, "%s: refused as the operation's event", ev)
					}
					_, err = st.ChangeState(ctx, doc, storage.StateChange{Event: ev, Version: storage.AnyVersion, Fields: fields})
					require.Error(t, err, "ChangeState %s", ev)
					e.requireUnchanged(t, s, "SetState "+ev)
				}
			}
			// invalid writes each field change to doc with a plain Update and
			// with the state change event (if any), each refused with a
			// validation error naming the field.
			invalid := func(t *testing.T, doc crm.Ref, event string, changes crm.Fields) {
				t.Helper()
				s := e.snapshot(t, doc)
				for f, v := range changes {
					_, err := st.Update(ctx, crm.Record{Entity: doc.Entity, Header: crm.Header{ID: doc.ID, Version: storage.AnyVersion},
						Fields: crm.Fields{f: v}})
					requireInvalid(t, err, f)
					e.requireUnchanged(t, s, "update "+f)
					if event != "" {
						_, err = st.ChangeState(ctx, doc, storage.StateChange{Event: event, Version: storage.AnyVersion, Fields: crm.Fields{f: v}})
						requireInvalid(t, err, f)
						e.requireUnchanged(t, s, event+" with "+f)
					}
				}
			}
			// readOnly: a plain update of a document that is not editable is
			// refused.
			readOnly := func(t *testing.T, doc crm.Ref) {
				t.Helper()
				s := e.snapshot(t, doc)
				_, err := st.Update(ctx, crm.Record{Entity: doc.Entity, Header: crm.Header{ID: doc.ID, Version: storage.AnyVersion},
					Fields: crm.Fields{sales.DocumentDescription: "changed"}})
				requireTransition(t, err, "update a read-only "+doc.Entity)
				e.requireUnchanged(t, s, "update")
			}
			// lines: lines are written by the pricing operations only: a
			// create, an update of a line and a line's move to another
			// document are refused naming the line's lookup.
			lines := func(t *testing.T, doc crm.Ref) {
				t.Helper()
				s := e.snapshot(t, doc)
				require.NotEmpty(t, s.Lines)
				l := docLines[doc.Entity]
				_, err := st.Create(ctx, crm.Record{Entity: l.entity, Fields: crm.Fields{l.parent: doc, sales.LineProduct: e.a.Ref(),
					sales.LineUnit: e.piece.Ref(), sales.LineQuantity: dec("1")}})
				require.True(t, errors.Is(err, crm.ErrValidation) || errors.Is(err, crm.ErrInvalidTransition), "create line: %v", err)
				for f, v := range map[string]any{sales.LineQuantity: dec("7"), sales.LineExtendedAmount: usd("1.00"),
					sales.LinePricePerUnit: usd("1.00"), sales.LineTax: usd("3.00")} {
					_, err = st.Update(ctx, crm.Record{Entity: l.entity, Header: crm.Header{ID: s.Lines[0].ID, Version: storage.AnyVersion},
						Fields: crm.Fields{f: v}})
					// Invalid, or a refused transition when the document is
					// closed: either way refused.
					require.True(t, errors.Is(err, crm.ErrValidation) || errors.Is(err, crm.ErrInvalidTransition),
						"update line %s: %v", f, err)
				}
				e.requireUnchanged(t, s, "line writes")
				require.Equal(t, int64(len(s.Lines)), countWhere(t, e, l.entity, crm.Eq(l.parent, doc)))
			}
			totals := crm.Fields{sales.DocumentTotalAmount: usd("1.00"), sales.DocumentTotalLineItemAmount: usd("1.00"),
				sales.DocumentTotalTax: usd("1.00"), sales.DocumentTotalDiscountAmount: usd("1.00"),
				sales.DocumentTotalAmountLessFreight: usd("1.00"), sales.DocumentTotalLineItemDiscount: usd("1.00")}
			inputs := crm.Fields{sales.DocumentPriceList: nil, sales.DocumentDiscountPercentage: dec("5"),
				sales.DocumentDiscountAmount: usd("10.00"), sales.DocumentFreightAmount: usd("15.00")}

			t.Run("quote", func(t *testing.T) {
				d := e.draftQuote(t)
				invalid(t, d.Ref(), sales.EventActivate, totals)
				invalid(t, d.Ref(), sales.EventActivate, inputs)
				invalid(t, d.Ref(), sales.EventActivate, crm.Fields{sales.QuoteClosedOn: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
				lines(t, d.Ref())

				a := e.activeQuote(t)
				operationOnly(t, a.Ref(), a.Version, true, crm.Fields{sales.QuoteClosedOn: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
					sales.EventWinQuote, sales.EventCloseQuote, sales.EventReviseQuote)
				_, err := st.SetState(ctx, a.Ref(), a.Version, sales.EventCloseQuote, crm.StatusCode(sales.QuoteStatusCanceled))
				requireTransition(t, err, "SetState close as Canceled")
				readOnly(t, a.Ref())
				lines(t, a.Ref())
				// Closed quotes stay closed through every door.
				w := e.wonQuote(t)
				operationOnly(t, w.Ref(), w.Version, false, nil, sales.EventActivate, sales.EventCloseQuote, sales.EventReviseQuote)
				readOnly(t, w.Ref())

				// A create cannot give a quote totals or a close date, nor
				// start it closed.
				n := countOf(t, e, sales.QuoteEntity)
				for f, v := range map[string]any{sales.DocumentTotalAmount: usd("1.00"), sales.QuoteClosedOn: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)} {
					_, err := st.Create(ctx, crm.Record{Entity: sales.QuoteEntity, Fields: crm.Fields{sales.DocumentName: "Q",
						sales.QuoteNumber: "MANUAL-" + f, sales.DocumentCustomer: e.customer, f: v}})
					requireInvalid(t, err, f)
				}
				_, err = st.Create(ctx, crm.Record{Entity: sales.QuoteEntity, Header: crm.Header{State: crm.StateCode(sales.QuoteStateWon)},
					Fields: crm.Fields{sales.DocumentName: "Q", sales.QuoteNumber: "MANUAL-WON", sales.DocumentCustomer: e.customer}})
				require.Error(t, err, "a quote is created Draft")
				require.Equal(t, n, countOf(t, e, sales.QuoteEntity))
			})

			t.Run("order", func(t *testing.T) {
				o := e.activeOrder(t)
				operationOnly(t, o.Ref(), o.Version, true, crm.Fields{sales.OrderDateFulfilled: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
					sales.EventFulfillOrder, sales.EventCancelOrder, sales.EventInvoiceOrder)
				invalid(t, o.Ref(), sales.EventSubmitOrder, totals)
				invalid(t, o.Ref(), sales.EventSubmitOrder, inputs)
				invalid(t, o.Ref(), sales.EventSubmitOrder, crm.Fields{sales.DocumentPriceLocked: true})
				lines(t, o.Ref())

				n := countOf(t, e, sales.OrderEntity)
				_, err := st.Create(ctx, crm.Record{Entity: sales.OrderEntity, Fields: crm.Fields{sales.DocumentName: "O",
					sales.OrderNumber: "MANUAL-LOCKED", sales.DocumentCustomer: e.customer, sales.DocumentPriceLocked: true}})
				requireInvalid(t, err, sales.DocumentPriceLocked)
				require.Equal(t, n, countOf(t, e, sales.OrderEntity))

				o, err = e.orders.Submit(ctx, o.ID, o.Version)
				require.NoError(t, err)
				readOnly(t, o.Ref())
				operationOnly(t, o.Ref(), o.Version, true, nil, sales.EventFulfillOrder, sales.EventCancelOrder, sales.EventInvoiceOrder)
				lines(t, o.Ref())
				o, _, err = e.orders.Fulfill(ctx, o.ID, o.Version, 0, sales.CloseOptions{})
				require.NoError(t, err)
				readOnly(t, o.Ref())
				operationOnly(t, o.Ref(), o.Version, true, nil, sales.EventInvoiceOrder)
			})

			t.Run("invoice", func(t *testing.T) {
				i := e.activeInvoice(t)
				operationOnly(t, i.Ref(), i.Version, true, nil, sales.EventPayInvoice, sales.EventCancelInvoice)
				invalid(t, i.Ref(), "", totals)
				invalid(t, i.Ref(), "", inputs)
				invalid(t, i.Ref(), "", crm.Fields{sales.DocumentPriceLocked: true})
				lines(t, i.Ref())
				i, err := e.invoices.Pay(ctx, i.ID, i.Version, 0)
				require.NoError(t, err)
				readOnly(t, i.Ref())
				operationOnly(t, i.Ref(), i.Version, true, nil, sales.EventReactivateInvoice)
				lines(t, i.Ref())
				i, err = e.invoices.Reactivate(ctx, i.ID, i.Version)
				require.NoError(t, err)
				i, err = e.invoices.Cancel(ctx, i.ID, i.Version)
				require.NoError(t, err)
				readOnly(t, i.Ref())
				operationOnly(t, i.Ref(), i.Version, true, nil, sales.EventReactivateInvoice)
			})
		})
	}
}

// countWhere counts the records of entity matching where.
func countWhere(t *testing.T, e *docEnv, entity string, where crm.Filter) int64 {
	t.Helper()
	n, err := e.store.Count(e.ctx, crm.Query{Entity: entity, Where: where})
	require.NoError(t, err)
	return n
}

// TestDocumentCloseActivities checks the close activities of quotes and
// orders, and that a hook on WinQuote can stop a win, at every stage,
// leaving nothing of it.
func TestDocumentCloseActivities(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			errStop := errors.New("the hook stops the win")
			var stopAt atomic.Int32
			for _, stage := range []storage.Stage{storage.PreValidation, storage.PreOperation, storage.PostOperation} {
				require.NoError(t, e.store.HookMessage(sales.MessageWinQuote, stage, func(context.Context, *storage.Execution) error {
					if stopAt.Load() == int32(stage) {
						return errStop
					}
					return nil
				}))
			}

			q0 := e.activeQuote(t)
			q1, err := e.quotes.Revise(ctx, q0.ID, q0.Version)
			require.NoError(t, err)
			q1, err = e.quotes.Activate(ctx, q1.ID, q1.Version)
			require.NoError(t, err)

			s := e.snapshot(t, q1.Ref())
			closes := countOf(t, e, activity.QuoteClose)
			for _, stage := range []storage.Stage{storage.PreValidation, storage.PreOperation, storage.PostOperation} {
				stopAt.Store(int32(stage))
				_, _, err := e.quotes.Win(ctx, q1.ID, q1.Version, sales.CloseOptions{})
				require.ErrorIs(t, err, errStop, "stage %v", stage)
				e.requireUnchanged(t, s, "a stopped win")
				require.Equal(t, closes, countOf(t, e, activity.QuoteClose), "stage %v: no quote-close", stage)
			}
			stopAt.Store(0)

			date := time.Date(2026, 2, 20, 15, 4, 0, 0, time.UTC)
			q1, ref, err := e.quotes.Win(ctx, q1.ID, q1.Version, sales.CloseOptions{Date: date, Description: "Signed"})
			require.NoError(t, err)
			acts, err := e.quotes.Closes(ctx, q1.ID)
			require.NoError(t, err)
			require.Len(t, acts, 1)
			a := acts[0]
			require.Equal(t, ref, a.Ref())
			require.Equal(t, activity.QuoteClose, a.Type)
			require.Equal(t, activity.StateCompleted, a.ActivityState())
			require.Equal(t, q1.Ref(), a.Regarding)
			require.Equal(t, q1.Ref(), a.Fields.Ref(activity.FieldQuote))
			require.Equal(t, int64(1), a.Fields.Int(activity.FieldQuoteRevision))
			require.Equal(t, "Won: "+q1.Name, a.Subject)
			require.Equal(t, "Signed", a.Description)
			day := time.Date(2026, 2, 20, 0, 0, 0, 0, time.UTC)
			require.True(t, day.Equal(a.ActualEnd), "the close date is the activity's end: %v", a.ActualEnd)
			require.True(t, day.Equal(q1.ClosedOn))
			acts, err = e.quotes.Closes(ctx, q0.ID)
			require.NoError(t, err)
			require.Empty(t, acts, "a revision records no quote-close")

			lost := e.activeQuote(t)
			lost, ref, err = e.quotes.Close(ctx, lost.ID, lost.Version, sales.QuoteStatusCanceled, sales.CloseOptions{Subject: "Customer went away"})
			require.NoError(t, err)
			acts, err = e.quotes.Closes(ctx, lost.ID)
			require.NoError(t, err)
			require.Len(t, acts, 1)
			require.Equal(t, ref, acts[0].Ref())
			require.Equal(t, lost.Ref(), acts[0].Regarding)
			require.Equal(t, int64(0), acts[0].Fields.Int(activity.FieldQuoteRevision))
			require.Equal(t, "Customer went away", acts[0].Subject)

			for _, cancel := range []bool{false, true} {
				o := e.activeOrder(t)
				var err error
				if cancel {
					o, ref, err = e.orders.Cancel(ctx, o.ID, o.Version, sales.CloseOptions{})
				} else {
					o, ref, err = e.orders.Fulfill(ctx, o.ID, o.Version, sales.OrderStatusPartial, sales.CloseOptions{})
				}
				require.NoError(t, err)
				acts, err := e.orders.Closes(ctx, o.ID)
				require.NoError(t, err)
				require.Len(t, acts, 1)
				a := acts[0]
				require.Equal(t, ref, a.Ref())
				require.Equal(t, activity.OrderClose, a.Type)
				require.Equal(t, activity.StateCompleted, a.ActivityState())
				require.Equal(t, o.Ref(), a.Regarding)
				require.Equal(t, o.Ref(), a.Fields.Ref(activity.FieldOrder))
				want := "Partial: "
				if cancel {
					want = "No Money: "
				}
				require.Equal(t, want+o.Name, a.Subject)
			}
		})
	}
}

// TestDocumentLineage reads the lineage from every document of a chain,
// and of documents created on their own.
func TestDocumentLineage(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newDocEnv(t, b, nil)
			ctx := e.ctx
			lineage := func(t *testing.T, from crm.Ref) sales.Lineage {
				t.Helper()
				l, err := sales.LineageOf(ctx, e.store, from)
				require.NoError(t, err, "lineage of %s", from.Entity)
				return l
			}
			oppID := func(l sales.Lineage) crm.ID {
				if l.Opportunity == nil {
					return crm.NilID
				}
				return l.Opportunity.ID
			}

			t.Run("from an opportunity", func(t *testing.T) {
				opp := e.workedOpportunity(t)
				q0, err := e.quotes.FromOpportunity(ctx, opp.ID, sales.Quote{})
				require.NoError(t, err)
				q0, err = e.quotes.Activate(ctx, q0.ID, q0.Version)
				require.NoError(t, err)
				q1, err := e.quotes.Revise(ctx, q0.ID, q0.Version)
				require.NoError(t, err)
				q1, err = e.quotes.Activate(ctx, q1.ID, q1.Version)
				require.NoError(t, err)
				q1, _, err = e.quotes.Win(ctx, q1.ID, q1.Version, sales.CloseOptions{})
				require.NoError(t, err)
				other, err := e.quotes.FromOpportunity(ctx, opp.ID, sales.Quote{Document: sales.Document{Name: "Alternative"}})
				require.NoError(t, err)
				order, err := e.orders.FromQuote(ctx, q1.ID)
				require.NoError(t, err)
				inv, err := e.invoices.FromOrder(ctx, order.ID)
				require.NoError(t, err)
				// Another opportunity's chain is not this one's.
				e.workedOpportunity(t)

				for _, from := range []crm.Ref{opp.Ref(), q0.Ref(), q1.Ref(), other.Ref(), order.Ref(), inv.Ref()} {
					l := lineage(t, from)
					require.Equal(t, opp.ID, oppID(l), "from %s", from.Entity)
					require.Equal(t, []crm.ID{q0.ID, q1.ID, other.ID}, ids(l.Quotes), "from %s", from.Entity)
					require.Equal(t, []crm.ID{order.ID}, ids(l.Orders), "from %s", from.Entity)
					require.Equal(t, []crm.ID{inv.ID}, ids(l.Invoices), "from %s", from.Entity)
				}
				revs, err := e.quotes.Revisions(ctx, q0.Number)
				require.NoError(t, err)
				require.Equal(t, []crm.ID{q0.ID, q1.ID}, ids(revs))
			})

			t.Run("from a quote of its own", func(t *testing.T) {
				q0 := e.activeQuote(t)
				q1, err := e.quotes.Revise(ctx, q0.ID, q0.Version)
				require.NoError(t, err)
				q1, order, inv := e.invoiced(t, q1)
				for _, from := range []crm.Ref{q0.Ref(), q1.Ref(), order.Ref(), inv.Ref()} {
					l := lineage(t, from)
					require.Nil(t, l.Opportunity)
					require.Equal(t, []crm.ID{q0.ID, q1.ID}, ids(l.Quotes), "from %s: every revision", from.Entity)
					require.Equal(t, []crm.ID{order.ID}, ids(l.Orders), "from %s", from.Entity)
					require.Equal(t, []crm.ID{inv.ID}, ids(l.Invoices), "from %s", from.Entity)
				}
			})

			t.Run("from an order of its own", func(t *testing.T) {
				o := e.activeOrder(t)
				l := lineage(t, o.Ref())
				require.Nil(t, l.Opportunity)
				require.Empty(t, l.Quotes)
				require.Equal(t, []crm.ID{o.ID}, ids(l.Orders))
				require.Empty(t, l.Invoices)
				inv, err := e.invoices.FromOrder(ctx, o.ID)
				require.NoError(t, err)
				for _, from := range []crm.Ref{o.Ref(), inv.Ref()} {
					l := lineage(t, from)
					require.Nil(t, l.Opportunity)
					require.Empty(t, l.Quotes)
					require.Equal(t, []crm.ID{o.ID}, ids(l.Orders), "from %s", from.Entity)
					require.Equal(t, []crm.ID{inv.ID}, ids(l.Invoices), "from %s", from.Entity)
				}
			})

			t.Run("from an invoice of its own", func(t *testing.T) {
				i := e.activeInvoice(t)
				l := lineage(t, i.Ref())
				require.Nil(t, l.Opportunity)
				require.Empty(t, l.Quotes)
				require.Empty(t, l.Orders)
				require.Equal(t, []crm.ID{i.ID}, ids(l.Invoices))
			})

			t.Run("refused", func(t *testing.T) {
				_, err := sales.LineageOf(ctx, e.store, sales.QuoteRef(crm.NewID()))
				require.ErrorIs(t, err, crm.ErrNotFound)
				_, err = sales.LineageOf(ctx, e.store, e.customer)
				requireInvalid(t, err, crm.FieldID)
			})
		})
	}
}
