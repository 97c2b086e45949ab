package main

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/internal/textfmt"
	"github.com/crmkit/crmkit/sales"
	"github.com/crmkit/crmkit/sales/pricing"
)

func (s *story) printQuote(q sales.Quote) error {
	lines, err := s.quotes.Lines(s.ctx, q.ID)
	if err != nil {
		return err
	}
	s.printDocument(fmt.Sprintf("Quote %s, revision %d", q.Number, q.Revision), q.QuoteState(), q.QuoteStatus(), q.Document, lines)
	return nil
}

func (s *story) printOrder(o sales.Order) error {
	lines, err := s.orders.Lines(s.ctx, o.ID)
	if err != nil {
		return err
	}
	title := "Order " + o.Number
	if o.PriceLocked {
		title += ", prices locked"
	}
	s.printDocument(title, o.OrderState(), o.OrderStatus(), o.Document, lines)
	return nil
}

func (s *story) printInvoice(i sales.Invoice) error {
	lines, err := s.invoices.Lines(s.ctx, i.ID)
	if err != nil {
		return err
	}
	s.printDocument(fmt.Sprintf("Invoice %s, due %s", i.Number, i.DueDate.Format("2 Jan")), i.InvoiceState(), i.InvoiceStatus(), i.Document, lines)
	return nil
}

// printDocument prints a quote, order or invoice: a heading, a table of
// its lines, a bundle's items indented under it, and its totals under
// the extended amounts.
func (s *story) printDocument(title string, state, status fmt.Stringer, d sales.Document, lines []sales.Line) {
	s.say("")
	s.say("  %s: %s (%s), %s, for %s", title, state, status, d.Currency(), s.customerName(d.Customer))
	t := table{{"#", "product", "quantity", "unit price", "vol. disc.", "man. disc.", "amount", "tax", "extended"}}
	n := 0
	for _, l := range lines {
		number, product := "", s.names[l.Product.ID]
		switch {
		case l.WriteIn:
			product = l.Description + " (write-in)"
		case l.Kind == pricing.RequiredBundleItem:
			product = "  + " + product + " (required)"
		case l.Kind == pricing.OptionalBundleItem:
			product = "  + " + product + " (optional)"
		}
		if l.ParentBundle.IsZero() {
			n++
			number = fmt.Sprint(n)
		}
		qty := l.Quantity.String()
		if unit := s.names[l.Unit.ID]; unit != "" {
			qty += " " + unit
		}
		t = append(t, []string{number, product, qty, amount(l.PricePerUnit), amount(l.VolumeDiscount),
			amount(l.ManualDiscount), amount(l.Amount), amount(l.Tax), amount(l.ExtendedAmount)})
	}
	widths := t.widths()
	total := 0
	for _, w := range widths {
		total += w + 2
	}
	t[:1].print(s, widths, 1)
	s.say("  %s", strings.Repeat("-", total-2))
	t[1:].print(s, widths, 1)
	s.say("  %*s", total-2, strings.Repeat("-", widths[len(widths)-1]))

	// The totals, each under the extended amounts (sales.md §6.2).
	discount := "discount"
	if d.DiscountPercentage != nil {
		discount += " " + d.DiscountPercentage.String() + " %"
	}
	if d.DiscountAmount != nil {
		discount += " and " + amount(d.DiscountAmount)
	}
	headerDiscount := (*crm.Money)(nil)
	if d.TotalDiscountAmount != nil && d.TotalLineItemDiscount != nil {
		if m, err := d.TotalLineItemDiscount.Sub(*d.TotalDiscountAmount); err == nil {
			headerDiscount = &m
		}
	}
	label := total - 2 - widths[len(widths)-1] - 2
	for _, r := range [][2]string{
		{"detail amount, after " + amount(d.TotalLineItemDiscount) + " of line discounts", amount(d.TotalLineItemAmount)},
		{discount, amount(headerDiscount)},
		{"pre-freight amount", amount(d.TotalAmountLessFreight)},
		{"freight", amount(d.FreightAmount)},
		{"tax", amount(d.TotalTax)},
		{"total " + string(d.Currency()), amount(d.TotalAmount)},
	} {
		s.say("  %*s  %*s", label, r[0], widths[len(widths)-1], r[1])
	}
}

// table is rows of cells, the first row the heading.
type table [][]string

// widths returns the width of each column.
func (t table) widths() []int {
	var w []int
	for _, row := range t {
		for i, cell := range row {
			if i == len(w) {
				w = append(w, 0)
			}
			w[i] = max(w[i], utf8.RuneCountInString(cell))
		}
	}
	return w
}

// print prints the table, each row indented by two spaces, the columns
// left lists left-aligned and the others right-aligned.
func (t table) print(s *story, widths []int, left ...int) {
	for _, row := range t {
		var b strings.Builder
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell))
			if slices.Contains(left, i) {
				b.WriteString("  " + cell + pad)
			} else {
				b.WriteString("  " + pad + cell)
			}
		}
		s.say("%s", strings.TrimRight(b.String(), " "))
	}
}

// customerName names the account or contact c.
func (s *story) customerName(c crm.Ref) string {
	names, err := s.st.Names(s.ctx, c)
	if err != nil || names[c] == "" {
		return c.Entity
	}
	return names[c]
}

// money writes an amount with its currency: 1,234.50 USD.
func money(m *crm.Money) string {
	if m == nil {
		return "-"
	}
	return amount(m) + " " + string(m.Currency)
}

// amount writes an amount with its places (Money.String's) and thousands
// separators, without its currency; "-" for none.
func amount(m *crm.Money) string {
	if m == nil {
		return "-"
	}
	digits, _, _ := strings.Cut(m.String(), " ")
	return textfmt.Thousands(digits)
}
