package sales_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/storage/memory"
)

// Number documents: the sales sequences in their default format, a
// host's own sequence, and a number drawn in a transaction that fails,
// which is given out again.
func ExampleNumbering_Next() {
	ctx := crm.AsSystem(context.Background())
	reg := crm.NewRegistry()
	if err := sales.Register(reg); err != nil {
		fmt.Println(err)
		return
	}
	st := memory.Open(reg)
	numbering, err := sales.NewNumbering(st, map[string]sales.NumberFormat{
		sales.SequenceInvoice: {Prefix: "INV2026", Start: 1, Digits: 6},
		"warranty":            {Format: func(n int64) string { return fmt.Sprintf("W/%d", n) }},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, seq := range []string{sales.SequenceQuote, sales.SequenceQuote, sales.SequenceOrder, sales.SequenceInvoice, "warranty"} {
		number, err := numbering.Next(ctx, seq)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(seq, number)
	}

	// The number belongs to the transaction that draws it: Next joins
	// the caller's, so a quote that is not saved gives its number back.
	errNotSaved := errors.New("quote not saved")
	err = st.InTx(ctx, func(ctx context.Context) error {
		number, err := numbering.Next(ctx, sales.SequenceQuote)
		if err != nil {
			return err // return it: InTx retries what it can
		}
		fmt.Println("drawn, then rolled back:", number)
		return errNotSaved
	})
	fmt.Println(errors.Is(err, errNotSaved))
	number, err := numbering.Next(ctx, sales.SequenceQuote)
	fmt.Println("next quote:", number, err)
	// Output:
	// quote QUO-01000
	// quote QUO-01001
	// salesorder ORD-01000
	// invoice INV2026-000001
	// warranty W/1000
	// drawn, then rolled back: QUO-01002
	// true
	// next quote: QUO-01002 <nil>
}
