// Package sales is crmkit's sales module: accounts (companies) and
// contacts (people), everything else in sales hangs from; leads, qualified
// into opportunities; opportunities with their sales process, competitors
// and pipeline analytics; the product catalog and its price lists; and
// quotes, orders and invoices, priced line by line (sales/pricing) and
// converted one into the next. Each section below covers one of them.
//
// Start with Register, to add the entities to a registry, then NewAccounts
// and NewContacts over a storage.Store:
//
//	reg := crm.NewRegistry()
//	if err := sales.Register(reg); err != nil { ... }
//	st := memory.Open(reg)
//	accounts, contacts := sales.NewAccounts(st), sales.NewContacts(st)
//	ctx := crm.WithCaller(context.Background(), userID) // every write names who acts
//	acme, err := accounts.Create(ctx, sales.Account{Name: "Acme"})
//
// The services create, read, update (with optimistic concurrency: an update
// names the version it was read at), deactivate, activate, delete and
// search, and cover what a CRM user expects of accounts: sub-accounts
// (Children), the contacts of an account (Contacts) and its primary contact
// (SetPrimaryContact). Every write goes through the store's write path, so
// hooks see it and the rules of the metadata hold: an account's name is
// required and at most 160 characters, a contact's last name is required,
// an account cannot become its own ancestor, deleting an account deletes
// its contacts and unparents its sub-accounts.
//
// # Rules
//
// The module's rules live with its entities, not in its services:
// AccountMetadata and ContactMetadata carry them as crm.Rule values, and
// Register puts them in the registry with the entities. Every store built
// on that registry runs them inside the write's transaction, after the
// pre-operation hooks and before the write, whichever door the write comes
// through: these services, a storage.Table, or the store's generic Create,
// CreateMany, Update and ChangeState. The services are thin typed
// conveniences over them.
//
//   - An account's primary contact must be one of its contacts
//     (Accounts.SetPrimaryContact says why). The rule holds the contact
//     it reads (crm.Records.Lock), so the contact cannot move to another
//     company before the account's write commits.
//   - A contact cannot be its own parent customer, nor the parent of one
//     of its ancestors; each contact on the way up is held the same way,
//     so two writers cannot close a loop between them.
//   - An account cannot be its own parent or ancestor: parentaccountid is
//     a hierarchical lookup, which the write path checks for any entity.
//
// A refused write fails with a *crm.ValidationError naming the field and
// changes nothing; inside a transaction, it is refused before anything is
// written, so the transaction may go on.
//
// The module's operations that change several records or a state with the
// fields that go with it (qualifying a lead, winning an opportunity, as
// they come) run as named operations, storage.Store.Execute, so a host's
// hooks can watch and stop them by name; a state change carries its field
// changes in one write (storage.Store.ChangeState).
//
// # Typed records
//
// Account and Contact embed crm.Header (ID, version, owner, timestamps,
// state, status reason) and carry their fields in Go types:
//
//   - Text is a string; "" is null, as in Dynamics, which keeps no empty
//     strings.
//   - Lookups are crm.Ref; the zero Ref is null. A lookup with one target
//     entity may leave Ref.Entity empty; a contact's parent customer, an
//     account or a contact, must name it (AccountRef, ContactRef).
//   - Money is *crm.Money and whole numbers *int64; nil is null, so that
//     "no revenue given" differs from a revenue of zero (Ptr helps).
//   - Yes/No fields are bool and never null: they default to No, as in
//     Dynamics.
//   - Option sets (CustomerType, Industry, Ownership) and states and
//     status reasons (AccountState, AccountStatus, ContactState,
//     ContactStatus) are typed int32 constants whose number is Dynamics'
//     published value, which never changes. An option set's zero value is
//     null; a state's is Active. They print and marshal as their labels
//     and parse from a label or a number (ParseIndustry, ...); other text
//     fails with a *crm.ValidationError naming the field. Their labels are
//     the options of the entity's choice field, which a caller without the
//     Go type reads from metadata (crm.Field.OptionLabel, OptionValue). A value
//     converted from a number no constant names is not Valid, and the
//     store refuses to write it. A query compares the number:
//     crm.Eq(sales.AccountIndustry, sales.IndustryUtility).
//   - Date-only fields are time.Time at midnight UTC; the zero time is null.
//   - A contact's FullName is computed by the store from first and last
//     name; what a caller puts there is ignored.
//   - Fields the Go type does not declare, such as a host's custom fields
//     (crm.Registry.AddFields, storage.Store.AddFields), travel in Extra,
//     a crm.Fields: decoding puts there every field of the record its
//     members do not hold, encoding writes them back (a member wins over
//     an Extra entry of the same name; the fields the type only reads are
//     never written). So custom fields can be set on create, survive a
//     typed read-modify-write and read back typed. Table.Update leaves a
//     custom field missing from Extra as it is; set it to nil to clear
//     it. Codecs of other typed records follow the same convention, which
//     storagetest.CheckCodec checks.
//
// AccountCodec and ContactCodec convert them for storage.Table, and
// AccountMetadata and ContactMetadata return the entity declarations.
//
// # Lifecycles
//
// Accounts and contacts are Active or Inactive (statecode 0 with status
// reason 1, statecode 1 with status reason 2). Deactivate and Activate are
// the only way between them; an inactive record is read-only until it is
// activated again, and a refused event is a *crm.TransitionError.
//
// The account lifecycle (AccountLifecycle), as its table draws it:
//
//	stateDiagram-v2
//	    [*] --> Active
//	    Active --> Inactive: deactivate
//	    Inactive --> Active: activate
//
// The contact lifecycle (ContactLifecycle):
//
//	stateDiagram-v2
//	    [*] --> Active
//	    Active --> Inactive: deactivate
//	    Inactive --> Active: activate
//
// The lead lifecycle (LeadLifecycle): Open (New, Contacted), Qualified
// (Qualified) and Disqualified (Lost, Cannot Contact, No Longer
// Interested, Canceled). qualify fires only inside the QualifyLead
// operation (Leads.Qualify); qualified and disqualified leads are
// read-only until reactivated:
//
//	stateDiagram-v2
//	    [*] --> Open
//	    Disqualified --> Open: reactivate
//	    Open --> Disqualified: disqualify
//	    Open --> Qualified: qualify
//	    Qualified --> Open: reactivate
//
// The opportunity lifecycle (OpportunityLifecycle): Open (In Progress,
// On Hold), Won (Won) and Lost (Canceled, Out-Sold); won and lost
// opportunities are read-only until reopened, and each event fires only
// inside its named operation (see Opportunities):
//
//	stateDiagram-v2
//	    [*] --> Open
//	    Lost --> Open: reopen
//	    Open --> Lost: lose
//	    Open --> Won: win
//	    Won --> Open: reopen
//
// The product lifecycle (ProductLifecycle): Draft (status reason 4, see
// "Product catalog"), Active, Under Revision and Retired, with Dynamics'
// state numbers. Active and retired products are read-only; revise and
// retire fire only inside their named operations (Catalog.Revise,
// Catalog.Retire):
//
//	stateDiagram-v2
//	    [*] --> Draft
//	    Active --> Retired: retire
//	    Active --> Under Revision: revise
//	    Draft --> Active: publish
//	    Draft --> Retired: retire
//	    Retired --> Active: activate
//	    Under Revision --> Active: publish
//	    Under Revision --> Retired: retire
//	    Under Revision --> Active: revert
//
// The quote lifecycle (QuoteLifecycle): Draft (In Progress), Active (In
// Progress, Open), Won (Won) and Closed (Revised, Lost, Canceled). Only a
// Draft quote changes; Active is what the customer was shown. revise, win
// and close fire only inside their named operations (Quotes.Revise, Win,
// Close):
//
//	stateDiagram-v2
//	    [*] --> Draft
//	    Active --> Closed: close
//	    Active --> Closed: revise
//	    Active --> Won: win
//	    Draft --> Active: activate
//
// The order lifecycle (OrderLifecycle): Active (New, Pending), Submitted
// (In Progress), Canceled (No Money), Fulfilled (Complete, Partial) and
// Invoiced (Invoiced). Only an Active order changes; fulfill, cancel and
// invoice fire only inside their operations (Orders.Fulfill, Cancel,
// Invoices.FromOrder):
//
//	stateDiagram-v2
//	    [*] --> Active
//	    Active --> Canceled: cancel
//	    Active --> Fulfilled: fulfill
//	    Active --> Invoiced: invoice
//	    Active --> Submitted: submit
//	    Fulfilled --> Invoiced: invoice
//	    Submitted --> Canceled: cancel
//	    Submitted --> Fulfilled: fulfill
//	    Submitted --> Invoiced: invoice
//
// The invoice lifecycle (InvoiceLifecycle): Active (New, Partially
// Shipped, Billed, Booked, Installed), Paid (Complete, Partial) and
// Canceled; every event fires only inside its operation (Invoices.Pay,
// Cancel, Reactivate), so no plain state change marks an invoice paid:
//
//	stateDiagram-v2
//	    [*] --> Active
//	    Active --> Canceled: cancel
//	    Active --> Paid: pay
//	    Canceled --> Active: reactivate
//	    Paid --> Active: reactivate
//
// Unit groups, price lists and discount lists are Active or Inactive as
// accounts are (price lists and discount lists with Dynamics' status
// reasons 100001 and 100002).
//
// A test redraws them all from the tables and fails if these drawings
// differ.
//
// # Leads
//
// NewLeads returns the lead service: Create, Get, Update, Search, Count,
// Assign, Delete, and the lead's operations.
//
// Leads.Qualify is Dynamics' QualifyLead, run as the named operation
// MessageQualifyLead (storage.Store.Execute) in one transaction, so hooks
// see and may stop it by name (its inputs are the QualifyInput* keys) and
// a failure at any write leaves nothing behind. QualifyOptions choose
// what to create: an account (only for a lead with a company name: a lead
// without one qualifies with no account [inferred]), a contact (whose
// company is the account) and an opportunity (whose customer is
// OpportunityCustomer, else the account, else the contact; one without
// any is refused). An existing account or contact, the options' or else
// the lead's own "Existing Account" and "Existing Contact"
// (parentaccountid, parentcontactid), is attached instead of creating
// one. When both are created, the contact becomes the account's primary
// contact [inferred]; an existing account is never changed. Each new
// record's originatingleadid points at the lead; the lead gets its
// qualifyingopportunityid, customerid (the account, else the contact),
// parentaccountid and parentcontactid, and moves to Qualified in one
// write.
//
// The lead's fields reach the new records through a field map [inferred
// from sales.md §1.3; DefaultLeadMapping lists it]: company name,
// business phone, website, address, industry, revenue and employees to
// the account; names, job title, email, phones and address to the
// contact; topic, est. value, est. close date, the budget, purchase and
// need fields, rating and description to the opportunity. A host maps its
// own fields with Leads.MapField, checked when it is called (unknown
// fields, mismatched types or options fail with ErrLeadMapping). Amounts keep
// their currency: QualifyOptions.Currency, if set, refuses amounts in
// another rather than converting them.
//
// The new opportunity enters a sales process (QualifyOptions.Process,
// default DefaultProcess()): in Dynamics' Lead to Opportunity Sales
// Process the Qualify stage is the lead's, so qualifying moves the
// process on to Develop on the opportunity [inferred]. The opportunity
// starts in the process's second stage, with its pipeline phase, default
// close probability (a probability the field map gives wins) and
// activestagestartedon now, and the visit of the first stage, from the
// lead's creation to now, goes to the stage history as ended Forward, so
// the average days in Qualify count the lead's time. A pointer to the
// zero Process opts out: no stage, no visit. A process with no second
// stage is refused.
//
// Duplicate detection: before writing anything, Qualify looks for an
// account named as the lead's company (trimmed, in any case) when it
// would create an account, and a contact with the lead's email address
// (in any case) when it would create a contact. Any case means every
// letter's, "école" as "ÉCOLE", though the stores' own comparisons fold
// only ASCII letters; accents count ("ecole" is another name). Matches
// fail the qualification with a *DuplicateError (crm.ErrDuplicate)
// listing them, unless the caller links to a match (ExistingAccount,
// ExistingContact) or creates anyway (OnDuplicate: CreateDuplicates).
//
// Two qualifications of one lead at once: the lead is locked first, so
// one succeeds and the other fails with crm.ErrConflict (or
// crm.ErrInvalidTransition when it asked for any version and finds the
// lead qualified), on every store.
//
// The lead's rules hold through every door (LeadMetadata): qualify fires
// only inside QualifyLead, so a bare state change or an update of the
// state is refused; qualifyingopportunityid is set only by QualifyLead
// or an import (clearing it is allowed: deleting the opportunity does);
// a lead with an opportunity cannot be disqualified. A rule reads records
// by ID, not by query, so "has an opportunity" means its
// qualifyingopportunityid is set: an opportunity naming the lead as its
// originating lead without the lead naming it back does not count.
// Leads.Disqualify takes a status reason (default Lost). Leads.Reactivate
// brings a qualified or disqualified lead back to Open (New) and keeps
// its links [inferred]: the qualifying opportunity (so a reactivated lead
// with an opportunity still cannot be disqualified) and the account and
// contact, which a second qualification attaches instead of creating
// them again. Activities regarding a lead stay with it.
//
// # Opportunities
//
// An Opportunity is a potential sale to a customer, an account or a
// contact, with its estimated revenue (a crm.Money, whose currency is the
// opportunity's), estimated close date, probability, sales stage and
// pipeline phase. WeightedValue, the estimate × probability / 100, is
// computed by the store. NewOpportunities gives the service: Create, Get,
// Update, Search, Count, Assign, Delete, and the operations that close
// and reopen, each Dynamics' message run as a named operation
// (storage.Store.Execute) in one transaction, so hooks registered for it
// by name see and may stop it (their inputs are the CloseInput
// constants):
//
//   - Win (MessageWinOpportunity) moves an open opportunity to Won with
//     its actual revenue (default: the estimated revenue), actual close
//     date (default: today, the store clock's date in UTC; a date given
//     is taken as the calendar date it names) and the Won forecast
//     category, and records a completed opportunity-close activity
//     (activity.OpportunityClose) regarding it: the revenue, the close
//     date as its actual end, the description.
//   - Lose (MessageLoseOpportunity) does the same for Lost, status reason
//     Canceled (default) or Out-Sold, forecast category Lost, and the
//     competitor that won, which must exist: it is recorded on the close
//     activity and associated with the opportunity if it was not. The
//     actual revenue defaults to zero in the estimate's currency (else
//     the base currency; with neither, none) [inferred: Dynamics leaves
//     it to the user].
//   - Reopen (MessageReopenOpportunity) moves a won or lost opportunity
//     back to Open, In Progress, clears its actual revenue and close date
//     and puts its forecast category back to Pipeline [inferred: sales.md
//     §2.4 says Dynamics does not document it]. The close activities stay,
//     completed, as the history of every close (Closes lists them).
//
// Dynamics asks the seller to close the opportunity's quotes before
// closing it; quotes come with the pricing module, which will add that
// check to Win and Lose.
//
// The rules (OpportunityMetadata's, so every door enforces them):
//
//   - State changes only through those operations: a bare SetState or
//     ChangeState with win, lose or reopen is a *crm.TransitionError
//     through any door, and a plain update never changes the state.
//   - actualvalue and actualclosedate are written only inside the close
//     and reopen operations, and the Won and Lost forecast categories
//     only by Win and Lose (left only by Reopen); a caller sets the
//     other categories.
//   - The estimated revenue is user-provided (isrevenuesystemcalculated
//     false, the default) or system-calculated: then only the pricing
//     operations of OpportunityLines set it, to the lines' total (see
//     "Opportunity product lines"); other writes of it are refused until
//     the switch is off again (turning it off and setting the estimate in
//     one write is allowed). Turning the switch on keeps the estimate as
//     it is until the next pricing operation (Recalculate).
//   - originatingleadid is set on create and never changes (Dynamics: not
//     updatable). Clearing it is allowed, since deleting the lead clears
//     it through the lookup's remove-link behaviour, and a rule cannot
//     tell that write from another.
//
// An import (storage.Store.Import) takes state, status reason, creation
// time and every value from the data, as Dynamics' data import does: a
// won opportunity imported with its actual revenue, close date and Won
// forecast category reads back as it was, no event fires and no close
// activity is recorded, and it is read-only until reopened.
//
// The price list (pricelevelid), the header discounts and freight, and the
// totals of the product lines are the opportunity's too: see the next
// section.
//
// # Opportunity product lines
//
// An OpportunityLine (opportunityproduct) is a catalog product in a unit,
// or a write-in product (isproductoverridden, named by its description),
// with a quantity, a manual discount and a tax. NewOpportunityLines gives
// the service, with the organization's PricingOptions (discount method,
// price list mandatory, the total the revenue takes; the pricing precision
// is the registry's). AddLine, UpdateLine, RemoveLine, Recalculate and
// SetPricing (a new price list, discounts or freight) are named operations
// (MessageAddOpportunityLine, ..., MessageCalculatePrice, with
// the LineInput constants): in one transaction each locks the opportunity,
// reads its lines, the products and the price list items
// (Catalog.PriceListItem) with their discount lists, prices the whole
// document with sales/pricing, and writes every line whose amounts change
// (price per unit unless overridden, volume discount, amount, extended
// amount, pricing error None), then the header totals
// (totallineitemamount, totallineitemdiscountamount, totaldiscountamount,
// totalamountlessfreight, totaltax, totalamount) and, when the revenue is
// system-calculated, estimatedvalue = Totals.Revenue (totalamount by
// default, sales.md §2.3). A line that cannot be priced fails with the
// engine's *pricing.Error (errors.Is with pricing.ErrNoPriceListItem,
// ErrInvalidProduct, ErrCurrencyMismatch, ErrInvalidQuantity, ...) and
// changes nothing, so pricingerrorcode is never left set to an error by
// crmkit (an import may carry Dynamics' codes).
//
// Choices [inferred]: a catalog line with no unit takes its product's
// default unit; the price comes from the opportunity's own price list
// only, never from the product's default price list (sales.md §4.3
// [conflict]: with a mandatory list, no price when the product is not on
// it); price list dates are checked against today (the store clock's
// date): a list not yet begun or already ended is
// pricing.ErrInactivePriceList, though Dynamics documents no such check,
// because pricing from an expired list is a silent error (an order or
// invoice whose prices are locked takes none from the list, and is not
// checked); the document's
// currency is that of the opportunity's amounts (budget, discount,
// freight, a user-provided estimate), else its price list's, else its
// write-in prices'. A bundle product brings its items (see "Quotes, orders
// and invoices": lines work the same on every document).
//
// The rules (every door): lines are created and changed only inside the
// pricing operations (or an import); a line is a catalog product or a
// write-in, not both; the lines of a won or lost opportunity are read-only
// (the line's rule locks the opportunity and reads its state). On the
// opportunity, the totals and pricingerrorcode are written only by the
// pricing operations, and an existing opportunity's price list, discounts
// and freight change only through SetPricing, so the totals never lag
// behind their inputs; a create may set them (it has no lines). A line is
// deleted by RemoveLine, which prices the opportunity again, or with its
// opportunity or bundle line (a cascade): the generic store's Delete of a
// line is refused by the same rule (crm.Rule.Deletes), so the totals
// never count a line that is gone. A price list an
// opportunity uses cannot be deleted (crm.ErrRestricted), nor can a
// product or unit a line uses.
//
// # Quotes, orders and invoices
//
// A Quote, an Order and an Invoice share their header (Document: name,
// number, customer, opportunity, price list, discounts, freight, terms,
// bill-to and ship-to addresses, totals) and their lines (Line:
// quotedetail, salesorderdetail, invoicedetail, the opportunity line's
// fields). NewQuotes, NewOrders and NewInvoices give the services, with
// DocumentOptions (the PricingOptions, and the Numbering that numbers
// them: share one per store). Each embeds Documents, the operations every
// kind has:
//
//   - Create numbers the document in its transaction (Numbering: unique,
//     increasing, gaps possible, host-configurable format) unless it names
//     its own number; numbers are alternate keys (a quote's with its
//     revision).
//   - AddLine, UpdateLine, RemoveLine, Recalculate and SetPricing price
//     the whole document as Opportunity product lines do, with the same
//     engine and rules, as named operations (AddQuoteProduct,
//     AddSalesOrderProduct, AddInvoiceProduct, ..., MessageCalculatePrice);
//     UpdateLines changes several lines (each one's tax, say) and prices
//     once.
//   - Lines and header change only in the document's editable state:
//     Draft for a quote, Active for an order or an invoice; other states
//     are read-only (the lifecycle's ReadOnly states, and a rule on the
//     lines that locks the header). As for opportunity lines, a line is
//     deleted only by RemoveLine or with its document or bundle line.
//
// Bundles: adding a bundle product adds the bundle line (LineKind
// Bundle, its list price) and a line for each of its items after it
// (ParentBundle names the bundle line): required items price at nothing,
// optional ones at their own price (sales.md §5.6). An item's quantity is
// its quantity in the bundle times the bundle line's, and follows it when
// the bundle line's quantity changes [inferred]. A
// required item's inputs cannot change and it is removed only with its
// bundle; removing the bundle line removes its items.
//
// Conversions are named operations, one transaction each, that copy the
// header and every line with their amounts: the copy's totals are the
// source's, never recalculated (a recalculation is a separate,
// explicit operation):
//
//   - Quotes.FromOpportunity (GenerateQuoteFromOpportunity): a Draft quote
//     from an open opportunity and its lines; Orders.FromOpportunity and
//     Invoices.FromOpportunity (GenerateSalesOrderFromOpportunity,
//     GenerateInvoiceFromOpportunity) likewise an Active order or invoice,
//     its prices unlocked.
//   - Quotes.Revise (ReviseQuote): the Active quote closes as Revised and
//     a Draft copy takes the same number and the next revision. Revising
//     is allowed from Active only (sales.md §5.1 [conflict]).
//   - Orders.FromQuote (ConvertQuoteToSalesOrder): a Won quote becomes one
//     order, Active with its prices locked; its lines link to the quote
//     lines (LineQuoteLine). A second conversion, concurrent or not, fails
//     with ErrAlreadyConverted: the operation locks the quote, then looks
//     for its order.
//   - Invoices.FromOrder (ConvertSalesOrderToInvoice): the order becomes
//     Invoiced (from Active, Submitted or Fulfilled [inferred]: the
//     reference leaves the order's state open; crmkit invoices an order
//     once) and the invoice, Active with its prices locked, takes its
//     lines, linked to the order lines (LineOrderLine).
//
// Every document keeps the opportunity it came from, orders their quote
// and invoices their order, so the lineage is queryable both ways with
// plain queries; LineageOf gathers it from any document of the chain (a
// quote's with every revision of its number). An order's quote and an
// invoice's order are set only by the conversions (or an import): no
// door makes a second order of a won quote.
//
// Closing: Quotes.Win and Close (WinQuote, CloseQuote) record the close
// date (closedon) and a completed quote-close activity; Orders.Fulfill
// and Cancel (FulfillSalesOrder, CancelSalesOrder) an order-close
// activity and, for Fulfill, the date fulfilled; both dates are written
// only by these operations (or an import). Winning a quote leaves
// its opportunity open: win that with Opportunities.Win. Invoices.Pay,
// Cancel and Reactivate are operations too.
//
// Price lock (sales.md §5.5): ispricelocked changes only through
// LockPricing and UnlockPricing. While locked, a catalog line keeps its
// price per unit through every recalculation (its volume discount still
// follows its quantity) and no write-in line can be added; unlocking
// prices the lines again from the price list as it is now.
//
// Currency: a document is priced in the currency of its header amounts
// (discount, freight), else its price list's, else its write-ins'; a
// line in another currency is a *pricing.Error (ErrCurrencyMismatch).
// With a base currency (crm.Registry), the write path keeps the exchange
// rate and the base amounts of every header and line. A customer with
// documents cannot be deleted (crm.ErrRestricted); deleting an
// opportunity, quote or order keeps the documents made from it, unlinked.
//
// # Competitors
//
// A Competitor is a company bidding for the same deals, with no state.
// NewCompetitors gives the service: Create, Get, Update, Delete, Search,
// Count. Competitors and opportunities are linked many-to-many
// (OpportunityCompetitors, the kernel's crm.ManyToMany):
// Opportunities.AddCompetitor and RemoveCompetitor link and unlink a
// pair, Opportunities.Competitors and Competitors.Opportunities list
// either side, and a query crosses it in either direction with the
// relationship's Any and None ("opportunities with no competitor").
//
// Competitors.WinLoss gives a competitor's record, counted by the store in
// one aggregate over its associations (WinLossAll: every competitor in
// one): Won, the won opportunities it was on (deals won against it);
// Lost, the lost opportunities it was on, whatever the status reason;
// Open, the open ones; WinPercentage, Won / (Won + Lost). The figures
// read the associations, not the close activities: Lose associates the
// competitor that won, so a deal lost to a competitor counts against it,
// and a reopened deal counts by its state now, while the close activity
// that named the winner stays as history.
//
// # Sales processes
//
// A sales process (Process) is a Go value: stages in order, each mapped
// to a salesstage value and carrying a default close probability.
// DefaultProcess is Dynamics' "Lead to Opportunity Sales Process",
// Qualify, Develop, Propose, Close, at 10, 40, 60 and 80 per cent:
// sales.md §8 says Dynamics maps no probability to stages, so these are
// crmkit's choice. Processes.MoveStage moves an open opportunity forward
// or back as the named operation SetOpportunityStage
// (MessageSetOpportunityStage): it sets salesstage, stepname ("2-Develop":
// the stage's position from 1 and its name; the OOB format is not
// documented), closeprobability (the stage's default unless the move
// gives one) and activestagestartedon, and writes the visit it ends to
// the stage history (StageHistoryEntity: opportunity, stage, entered and
// left on, days to four places, direction Forward, Back, Closed Won or
// Closed Lost, owned by the opportunity's owner). The visit in progress
// began at activestagestartedon, or at the opportunity's creation. An
// opportunity created without a stage ends no visit when it first gets
// one.
//
// A rule keeps it so through every door: an existing opportunity's
// salesstage and activestagestartedon change only inside
// SetOpportunityStage, WinOpportunity, LoseOpportunity and
// ReopenOpportunity, or in an import (which takes them from the data);
// stage history records are written only inside the first three,
// QualifyLead (the lead's Qualify visit, see Leads) or an import. A
// create may set any stage. Closing (Win, Lose) ends the visit in
// progress with Closed Won or Closed Lost; Reopen starts a visit of the
// stage the deal was closed in, so the time it spent closed is not time
// in the stage. Visits follow one another, none ending before it began,
// even under concurrent moves: the store fixes a transaction's time
// before it waits for the opportunity's lock, so these operations take
// that time or, when later, the opportunity's last change or the start
// of its visit in progress (for Reopen, the end of its last visit).
//
// # Pipeline analytics
//
// Pipeline reports figures the store computes, each one aggregate (one
// statement on SQL); opportunities are never loaded to be added up:
//
//   - Open: the open pipeline (count, Σ estimatedvalue) and the weighted
//     pipeline (Σ weightedvalue, estimatedvalue × closeprobability / 100
//     per opportunity, sales.md §8) by stage, owner, team, or month or
//     quarter of the estimated close date;
//   - WinRate: won and lost counts and won revenue by owner, team,
//     month or quarter of the actual close date, or product: ByProduct
//     is one aggregate over the product lines of closed opportunities,
//     counting the distinct deals with a line of each product (a deal
//     with lines of several products counts once for each of them) and
//     summing the lines' extended amounts on won deals; write-ins are
//     left out;
//   - DaysToClose: the average calendar days (UTC) from createdon, or
//     another time field, to actualclosedate of won deals: an exact sum
//     and count of crm.DaysBetween, so months add up to quarters;
//   - Forecast: per owner, for the current calendar quarter (from the
//     store's clock) and the next, the revenue won in it (actualvalue by
//     actualclosedate) plus the weighted open revenue expected in it
//     (weightedvalue by estimatedclosedate): two aggregates;
//   - Stages: per stage, the ended visits, their average days, and the
//     conversion rate, the share that moved forward or were won.
//
// Quarters are calendar quarters in UTC: there are no fiscal settings
// yet; the store groups by month and the months of a quarter are added
// exactly. A team is an owning team (ownerid is a team): with no team
// membership yet, a user's deals do not count for their teams. Amounts
// are summed in the base currency (the _base fields) when the registry
// has one; without one, a sum over two currencies fails with
// crm.ErrCurrencyMismatch instead of mixing them.
//
// # Product catalog
//
// The catalog is what quotes, orders and invoices price their lines from
// (sales.md §4); the pricing engine itself is sales/pricing. NewCatalog
// gives the service, with the organization's settings (CatalogOptions);
// its typed tables (UnitGroups, Units, Products, PriceLists, ...) do the
// plain reads and writes, and the rules below hold through every door.
//
// Units: a unit group (UnitGroupEntity) is created with its primary unit
// by Catalog.CreateUnitGroup, the named operation MessageCreateUnitGroup.
// Every other unit is a positive Quantity of a BaseUnit of its own group,
// with no cycle (baseuom is hierarchical); Catalog.ToBase gives how many
// primary units a unit holds, the product of the quantities along its
// chain [inferred, sales.md §4.1]. The primary unit is marked and linked
// from its group only inside CreateUnitGroup (or an import). A unit that
// is a group's primary unit, another unit's base unit, or the unit of a
// product, price list item or bundle item cannot be deleted
// (crm.ErrRestricted: Restrict lookups, which is how the kernel refuses a
// delete). That includes the store's own cascade from a group to its
// units when they form a chain, so groups are deleted with
// Catalog.DeleteUnitGroup, which deletes the units outside in first.
//
// Products: a Product's structure (product, family or bundle) is set on
// create only; its product ID is unique (an alternate key). Only a family
// has children; a family with products, and a product in a bundle, cannot
// be deleted. The default unit is a unit of the product's unit group;
// valid-to is not before valid-from; the default price list is set once
// the product exists; quantitydecimal is 0..5; list price and costs keep
// the pricing precision. New products are Draft, or Active when
// CatalogOptions.CreateProductsActive says so and they have no family.
// Dynamics numbers Draft's status reason 0, which crmkit's kernel keeps
// for "none given" (a state change with status 0 takes the state's
// default); crmkit numbers it 4, the next free number (ProductStatusDraft),
// and an import of Dynamics data maps 0 to 4. The lifecycle's conditions:
//
//   - publish (and revert, and activate) makes a product in a family
//     Active only while its family is Active; PublishHierarchy publishes
//     a family and its draft and revised subtree, parents first;
//   - Revise revises a family's active subtree with it, Retire a family's
//     whole subtree, each as one named operation;
//   - a product in an Active bundle cannot be retired (Retire checks the
//     bundles it is in, by query, inside its operation);
//   - a retired product is activated again only if it is a product (not a
//     family or a bundle) without a family.
//
// Revert returns a revised product to Active keeping the changes made
// under revision: crmkit keeps no versions of a product, so "discard the
// changes" [doc] is not offered; a host that needs it keeps the published
// values itself.
//
// Bundles: bundle items (BundleItemEntity) are products (not families or
// bundles) in a unit of their own group, a positive quantity, required or
// optional, once per bundle. They are written only inside the named
// operation MessageSetBundleItem (Catalog.AddBundleItem,
// UpdateBundleItem), which locks the bundle and counts its items against
// CatalogOptions.MaxProductsInBundle (default 15): a count needs a query,
// which a rule cannot make, so the rule keeps the write inside the
// operation. Items change only while the bundle is Draft or Retired, and
// leave it only then (a rule on deletes, whatever the door), unless they
// go with the bundle or the product.
// Dynamics' "a bundle with an optional product goes only on a price list
// that prices the optional product in the same unit" is not checked yet.
//
// Price lists: a PriceList has a currency, an ISO 4217 code
// (isocurrencycode), required and set on create only. The kernel keeps a
// record's currency in its money values and registers a currency entity
// only with multi-currency on, so crmkit keeps the code as text, which
// works with it off or on, rather than Dynamics' transactioncurrencyid
// lookup. The end date is not before the begin date; dates are not
// enforced when pricing [inferred, sales.md §4.3]. A PriceListItem prices
// one product in one unit on one list (an alternate key;
// Catalog.PriceListItem finds it, crm.ErrNotFound when the list has no
// price for it: prices are not converted between units). Its pricing
// method's input is required (the amount for Currency Amount, the
// percentage for the others, below 100 for the margins: sales.md §10 #24);
// a rounding option and amount go with a rounding policy other than None,
// and then both are required (a multiple of a positive amount; an amount
// to end in is not negative); the rounding policy is kept for Currency
// Amount too, where the engine ignores it. Amounts are in the list's
// currency, and so is the item's discount list when it is one of amounts.
// The unit is a unit of the product's group.
//
// Discount lists: a DiscountList is of percentages or of amounts
// (isamounttype, set on create only; an amount list has a currency). Its
// Discounts are inclusive ranges of quantity, the end not below the
// begin, each a percentage or an amount in the list's currency as the list
// says. Ranges of one list never overlap [3p]: Catalog.AddDiscount and
// UpdateDiscount, the named operation MessageSetDiscount, lock the list
// and query its ranges before they write, and a rule keeps the ranges of
// discounts to that operation (or an import).
//
// # Pricing
//
// Prices are computed by package sales/pricing, a pure calculation engine
// with Dynamics' vocabulary: the six pricing methods, rounding policies
// and options of price list items, volume discounts of discount lists,
// line amounts (line-item or per-unit discount mode), header totals with
// discount and freight, and the reference's pricing error codes as typed
// errors. It reads no records: the quote, order and invoice records of
// this package feed it and store what it returns.
//
// # Numbering
//
// Numbering gives quotes, orders and invoices their numbers (QUO-01000,
// ORD-01000, INV-01000 by default; NumberFormat sets a sequence's prefix,
// first number and zero padding, or a host's own Format, and a host may
// add sequences of its own). NewNumbering takes the formats;
// Numbering.Next draws a number inside the caller's transaction, or its
// own. Each sequence counts in a numbersequence record whose ID derives
// from its name (NumberSequenceID), which Next locks and moves on by one.
//
// Numbers are unique and increasing within a sequence under any
// concurrency, on every store, but may have gaps [inferred: sales.md says
// nothing of gaps; Dynamics' auto-numbers have them too]: a number drawn
// in a transaction that rolls back is given out again, while a deleted
// document's is not. The counter never goes back through any door (a
// rule refuses a lower lastnumber, except in an import); raising a
// format's Start moves its sequence on to it. Two transactions that use a
// sequence first at once both create its counter: the loser's error
// matches storage.ErrRetry, so the outermost InTx runs it again, provided
// the closures return the error Next gave them.
//
// # Errors
//
// Errors come from the store's write path and match the crm sentinels with
// errors.Is: crm.ErrValidation (errors.As to *crm.ValidationError names
// every bad field), crm.ErrConflict, crm.ErrNotFound,
// crm.ErrInvalidTransition, crm.ErrDuplicate (a second product ID, price
// list item or unit name: a *crm.DuplicateKeyError; a second order of a
// won quote, ErrAlreadyConverted) and crm.ErrRestricted (a delete refused
// while other records use the record). Pricing refuses a document it
// cannot price with a *pricing.Error, whose Code is Dynamics' pricing
// error code (errors.Is with the pricing sentinels).
package sales
