package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The story prints the same on every run: a fixed clock, and every
// figure priced by the store. The document numbers are Numbering's, in
// its format: the test checks they are there and distinct, and reads
// them as {quote}, {order} and {invoice}.
func TestQuoteToCash(t *testing.T) {
	var out bytes.Buffer
	n, err := run(context.Background(), &out)
	require.NoError(t, err)
	require.NotEmpty(t, n.quote)
	require.NotEmpty(t, n.order)
	require.NotEmpty(t, n.invoice)
	require.Len(t, map[string]bool{n.quote: true, n.order: true, n.invoice: true}, 3, "numbers %+v", n)
	got := strings.NewReplacer(n.quote, "{quote}", n.order, "{order}", n.invoice, "{invoice}").Replace(out.String())
	require.Equal(t, want, got)
}

var want = strings.TrimLeft(`
== Mon 2 Mar: The price list
Price list "Retail 2026" in USD, valid 1 Jan 2026 to 31 Dec 2026:
  House Blend, 1 kg             list price 18.50: 90 % of it, rounded up to a multiple of 0.20, a bag
                                volume discount 5 % from 10 bags, 10 % from 50
  Conical grinder               current cost 251.00: a 40 % margin, rounded to the nearest price ending in 9.00
  Barista Pro espresso machine  1,400.00
  Café Starter Kit              1,750.00 for the machine and the grinder (required) and 10 bags of beans (optional)

== Tue 3 Mar: Blue Door Cafés opens three sites
Opportunity "Blue Door: three new sites" for Blue Door Cafés: 40 bags of House Blend, 1 kg, estimated revenue 638.40 USD, calculated from its line

== Wed 4 Mar: The quote
The quote is generated from the opportunity, its line copied: total 638.40 USD
It gains three starter kits (250.00 off), three days of training written in, 2 % off and freight,
and the host's tax on each line; activated, it is sent to the customer:

  Quote {quote}, revision 0: Active (In Progress), USD, for Blue Door Cafés
  #  product                                      quantity  unit price  vol. disc.  man. disc.    amount     tax  extended
  ------------------------------------------------------------------------------------------------------------------------
  1  House Blend, 1 kg                              40 bag       16.80        0.84           -    638.40   52.67    691.07
  2  Café Starter Kit                               3 each    1,750.00        0.00      250.00  5,250.00  412.50  5,412.50
       + Barista Pro espresso machine (required)    3 each        0.00        0.00           -      0.00       -      0.00
       + Conical grinder (required)                 3 each        0.00        0.00           -      0.00       -      0.00
       + House Blend, 1 kg (optional)               30 bag       16.80        0.84           -    478.80   39.50    518.30
  3  Barista training, per day (write-in)                3      350.00        0.00           -  1,050.00    0.00  1,050.00
                                                                                                                  --------
                                                                   detail amount, after 250.00 of line discounts  7,167.20
                                                                                                    discount 2 %   -143.34
                                                                                              pre-freight amount  7,023.86
                                                                                                         freight     95.00
                                                                                                             tax    504.67
                                                                                                       total USD  7,623.53

== Fri 6 Mar: The customer asks for more: revision 1
Revision 0 is closed as Revised; revision 1, with 60 bags (10 % off from 50) and a spare grinder, is sent:

  Quote {quote}, revision 1: Active (In Progress), USD, for Blue Door Cafés
  #  product                                      quantity  unit price  vol. disc.  man. disc.    amount     tax  extended
  ------------------------------------------------------------------------------------------------------------------------
  1  House Blend, 1 kg                              60 bag       16.80        1.68           -    907.20   74.84    982.04
  2  Café Starter Kit                               3 each    1,750.00        0.00      250.00  5,250.00  412.50  5,412.50
       + Barista Pro espresso machine (required)    3 each        0.00        0.00           -      0.00       -      0.00
       + Conical grinder (required)                 3 each        0.00        0.00           -      0.00       -      0.00
       + House Blend, 1 kg (optional)               30 bag       16.80        0.84           -    478.80   39.50    518.30
  3  Barista training, per day (write-in)                3      350.00        0.00           -  1,050.00    0.00  1,050.00
  4  Conical grinder                                1 each      419.00        0.00           -    419.00   34.57    453.57
                                                                                                                  --------
                                                                   detail amount, after 250.00 of line discounts  7,855.00
                                                                                                    discount 2 %   -157.10
                                                                                              pre-freight amount  7,697.90
                                                                                                         freight     95.00
                                                                                                             tax    561.41
                                                                                                       total USD  8,354.31

== Mon 9 Mar: Won
Quote {quote} revision 1 is Won on 9 Mar; the opportunity is Won with it, actual revenue 7,697.90 USD (pre-freight)
The won quote becomes an order, prices locked, totals the quote's:

  Order {order}, prices locked: Active (New), USD, for Blue Door Cafés
  #  product                                      quantity  unit price  vol. disc.  man. disc.    amount     tax  extended
  ------------------------------------------------------------------------------------------------------------------------
  1  House Blend, 1 kg                              60 bag       16.80        1.68           -    907.20   74.84    982.04
  2  Café Starter Kit                               3 each    1,750.00        0.00      250.00  5,250.00  412.50  5,412.50
       + Barista Pro espresso machine (required)    3 each        0.00        0.00           -      0.00       -      0.00
       + Conical grinder (required)                 3 each        0.00        0.00           -      0.00       -      0.00
       + House Blend, 1 kg (optional)               30 bag       16.80        0.84           -    478.80   39.50    518.30
  3  Barista training, per day (write-in)                3      350.00        0.00           -  1,050.00    0.00  1,050.00
  4  Conical grinder                                1 each      419.00        0.00           -    419.00   34.57    453.57
                                                                                                                  --------
                                                                   detail amount, after 250.00 of line discounts  7,855.00
                                                                                                    discount 2 %   -157.10
                                                                                              pre-freight amount  7,697.90
                                                                                                         freight     95.00
                                                                                                             tax    561.41
                                                                                                       total USD  8,354.31

== Tue 10 Mar: The beans' list price goes up
House Blend, 1 kg now lists at 19.50 USD: 90 % of it is 17.55, sold at 17.60.
The order, its prices locked, recalculates to 8,354.31 USD: unchanged.

== Mon 16 Mar: The invoice
The order is invoiced (it is Invoiced now), its lines and totals copied; payment is due in 30 days:

  Invoice {invoice}, due 15 Apr: Active (New), USD, for Blue Door Cafés
  #  product                                      quantity  unit price  vol. disc.  man. disc.    amount     tax  extended
  ------------------------------------------------------------------------------------------------------------------------
  1  House Blend, 1 kg                              60 bag       16.80        1.68           -    907.20   74.84    982.04
  2  Café Starter Kit                               3 each    1,750.00        0.00      250.00  5,250.00  412.50  5,412.50
       + Barista Pro espresso machine (required)    3 each        0.00        0.00           -      0.00       -      0.00
       + Conical grinder (required)                 3 each        0.00        0.00           -      0.00       -      0.00
       + House Blend, 1 kg (optional)               30 bag       16.80        0.84           -    478.80   39.50    518.30
  3  Barista training, per day (write-in)                3      350.00        0.00           -  1,050.00    0.00  1,050.00
  4  Conical grinder                                1 each      419.00        0.00           -    419.00   34.57    453.57
                                                                                                                  --------
                                                                   detail amount, after 250.00 of line discounts  7,855.00
                                                                                                    discount 2 %   -157.10
                                                                                              pre-freight amount  7,697.90
                                                                                                         freight     95.00
                                                                                                             tax    561.41
                                                                                                       total USD  8,354.31

== Fri 10 Apr: Paid
A plain state change cannot mark the invoice paid: invalid transition: invoice in state "Active" can "pay" only through the PayInvoice operation
Payment of 8,354.31 USD received: invoice {invoice} is Paid (Complete)

== The lineage, read back from the invoice
               state                       total
  opportunity  Won (Won)            7,697.90 USD  "Blue Door: three new sites", won 9 Mar
  quote        Closed (Revised)     7,623.53 USD  {quote} revision 0
  quote        Won (Won)            8,354.31 USD  {quote} revision 1
  order        Invoiced (Invoiced)  8,354.31 USD  {order}
  invoice      Paid (Complete)      8,354.31 USD  {invoice}
`, "\n")
