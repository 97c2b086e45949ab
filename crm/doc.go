// Package crm is crmkit's kernel: what every CRM record is and how it is
// described, whatever module it belongs to.
//
//   - Records: Record with its Header (UUIDv7 ID, version for optimistic
//     concurrency, owner, created/modified on and by, state and status
//     reason, owning business unit) and Fields.
//   - Metadata: Entity and Field declare an entity once (types, lengths,
//     ranges, options, lookups with their delete behaviour, lifecycle);
//     a Registry holds them. Validation (CheckCreate, CheckUpdate) is
//     driven by it and reports every bad field in one *ValidationError.
//   - Metadata that grows: Registry.AddFields adds fields to an entity
//     another module registered (a host's custom fields on contact),
//     checked as Register checks fields, relationships included; on a
//     running store, storage.Store.AddFields does it together with the
//     schema change. A registered Entity never changes: the registry
//     publishes an extended copy in its place, under its lock, and code
//     that looked the entity up before keeps its consistent older view
//     (copy on write; Registry.ExtendEntity lets storage migrate between
//     the check and the publication). A lookup may target an entity
//     registered later (an activity's regarding, a custom entity):
//     Registry.Complete checks every target once the registry is whole,
//     naming entity, field and missing target, and from then on Register
//     and AddFields check targets at once; SQL stores call it when they
//     open.
//   - Metadata as data: Entity, Field and Lifecycle marshal to JSON and
//     back (Registry.MarshalJSON, RegisterJSON). A computed field names
//     its function (Field.Calculator, Registry.RegisterCalculator); a
//     Compute func set in code alone, rules (Go code) and the fields the
//     registry derives are not serialized. Lifecycles are.
//   - Value limits, the same on every store and checked wherever a value
//     enters (writes, condition values, cursors): times from EarliestTime
//     (1753-01-01) to LatestTime (the last microsecond of 9999), kept in
//     UTC to TimePrecision; decimals below 10^DecimalDigits in magnitude
//     and to DecimalDigits places, refused by exponent and length before
//     any arithmetic (a condition bound beyond 10^DecimalDigits is moved
//     to it, which changes no answer); text lengths (MaxLength) counted in
//     UTF-16 code units, as Dynamics counts them, so an emoji counts two.
//   - Rules: Rule is a business rule of an entity beyond its fields'
//     (Entity.Rules, Registry.AddRules), a function of the write and of
//     the records it reads through Write.Records; it travels with the
//     registry, so every store on it enforces it.
//   - Lifecycles: Lifecycle tables of states, status reasons and events,
//     run with looplab/fsm; a refused event is a *TransitionError.
//   - Money: Money and Currency on shopspring/decimal, with one rounding
//     rule (half away from zero) and no silent currency mixing. A money
//     field keeps as many places as its precision source says
//     (Field.MoneyPrecision, Dynamics' PrecisionSource): its currency's
//     (the default: 2 for USD), the organization's pricing precision
//     (Registry.SetPricingPrecision, 0..4, default 2: unit prices, costs,
//     price list amounts) or its own (Field.Precision, 0..4). An amount
//     with more places is refused, never rounded away; every store keeps
//     MaxMoneyPlaces, so any source fits.
//   - Multi-currency: organization settings live on the Registry, set
//     while it is built. Registry.SetBaseCurrency (once, before entities
//     with money are registered; off by default) registers CurrencyEntity,
//     whose records hold each transaction currency's exchange rate (units
//     of it for one base unit, 12 places, 1e-12..1e11), and gives every
//     entity with money fields a computed FieldExchangeRate and a computed
//     "<field>_base" money field per money field: amount / rate in the
//     base currency, to BasePlaces (ToBase). The storage write path sets
//     them on create and whenever a money field or the state changes,
//     capturing the currency record's rate at that moment; the money
//     fields of one record share its currency. Base fields are queried,
//     sorted and aggregated like any other: totals across currencies are
//     sums of base amounts. Without a base currency, records carry no
//     rate and no base amounts, as before.
//   - Queries: Query, Filter (Condition, Group, Related), Order, Cursor and
//     Aggregation: one model for search, views, marketing lists, reports
//     and workflow conditions. A store checks a query against metadata
//     when it runs it; what a query means, row by row and in order, is
//     defined once by the planner in storage/driver (PlanQuery,
//     Plan.Match, Plan.Compare), which every adapter follows.
//   - Comparisons beyond "field op constant": a condition may compare two
//     fields of one record (ValueOf, FetchXML's valueof: "closed after
//     the estimated close date" is Gt("actualclosedate",
//     ValueOf("estimatedclosedate"))), fields of one type, text folded,
//     money within one currency, decimals by value whatever their
//     precisions; and the days or hours between two time fields
//     (DaysBetween("createdon", "actualclosedate").Gt(30), a
//     DiffCondition), as whole UTC day or hour boundaries crossed, as
//     Dynamics' DIFFINDAYS and DIFFINHOURS count them. A Measure with a
//     Diff aggregates such a difference (the average days to close).
//     A null on either side matches nothing and is left out of measures.
//   - Values as users have them: a choice condition takes option labels
//     ("Banking", in any case) as well as numbers; eq, ne, in and not-in
//     refuse a number no option names and every operator an unknown
//     label, as validation errors, rather than match nothing. A date-only
//     field takes "2024-03-01"; a date-and-time field an RFC 3339 time or
//     an ISO date, its midnight in the caller's zone. A base-currency
//     field ("_base") takes a plain decimal and refuses another currency;
//     any other money field wants a Money, its currency being the
//     record's.
//   - Errors callers test with errors.Is: ErrNotFound, ErrConflict,
//     ErrInvalidTransition, ErrDuplicate, ErrValidation, ErrRestricted,
//     ErrPermissionDenied (ErrNoCaller matches it).
//   - Who, where and when: a Scope is who acts (the caller, their teams
//     and business unit) and in which time zone; WithScope puts it in a
//     context, WithCaller and AsSystem are its short forms. The caller is
//     always explicit: the system user is a named principal
//     (SystemUserID), never what a missing caller becomes, and a store
//     refuses a write whose context names no caller (ErrNoCaller). A
//     Clock gives the time.
//   - Time zones: times are stored as UTC instants. Relative date
//     conditions (today, this-month, last-x-days, on...) count days in
//     the caller's zone (Scope.Location): "this month" for
//     a caller in Auckland is not the same month as for one in Los
//     Angeles on the last evening of March (UTC). Date-only fields hold
//     calendar dates and are never converted; "today" on them is the
//     caller's date. Aggregates grouped by day, month or year group in
//     UTC on every store, whatever the caller's zone. Time zone rules
//     come from the host (time.LoadLocation); a program that must not
//     depend on the host's zoneinfo imports time/tzdata.
//
// The kernel does no I/O. Reading and writing records is package storage.
package crm
