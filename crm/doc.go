// Package crm is crmkit's kernel: what every CRM record is and how it is
// described, whatever module it belongs to.
//
//   - Records: Record with its Header (UUIDv7 ID, version for optimistic
//     concurrency, owner, created/modified on and by, state and status
//     reason, owning business unit; for an imported record, when it was
//     imported: OverriddenCreatedOn) and Fields.
//   - Metadata: Entity and Field declare an entity once (types, lengths,
//     ranges, options, lookups with their delete behaviour, lifecycle);
//     a Registry holds them. Validation (CheckCreate, CheckUpdate) is
//     driven by it and reports every bad field in one *ValidationError.
//   - Alternate keys: Entity.Keys declares fields whose values identify a
//     record (Key: one to MaxKeyFields text, integer, decimal, time,
//     choice or lookup fields, checked at registration), kept unique by
//     every store with text compared case-insensitively and a record with
//     a null part outside the key; a duplicate is a *DuplicateKeyError
//     (ErrDuplicate).
//   - Base entities: an entity may extend a base entity (Entity.Base,
//     Entity.TypeField), whose records the write path keeps, one for
//     each record of every extension, with the fields they share: one
//     query of the base reads all types at once, as Dynamics'
//     activitypointer does for activities (rules in base.go). A
//     Polymorphic lookup keeps its target entity with each ID, so
//     Registry.AddTargets can let it point at more entities later (every
//     entity that enables activities becomes a target of an activity's
//     regarding lookup); on a base entity, its extensions follow.
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
//   - Metadata as data: Entity (its keys included), Field and Lifecycle marshal to JSON and
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
//     registry, so every store on it enforces it, on creates and changes
//     and, with Rule.Deletes, on deletes.
//   - Lifecycles: Lifecycle tables of states, status reasons and events,
//     run with looplab/fsm; a refused event is a *TransitionError. A
//     transition may stamp time fields (Transition.Stamps: closing an
//     activity sets its actual end), which every state change sets, and
//     may fire only inside a named operation (Transition.Operation:
//     winning an opportunity records how it was won, so a bare state
//     change is refused).
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
//   - Relationships: a lookup is one side of a 1:N relationship
//     (Registry.ReferencedBy). ManyToMany declares an N:N relationship
//     (Registry.RegisterManyToMany), kept as in Dynamics in an intersect
//     entity whose records each hold one associated pair: two required,
//     immutable lookups that cascade deletes from either side, and an ID
//     derived from the pair (ManyToMany.AssociationID), so that a pair is
//     associated once on every store.
//   - Queries: Query, Filter (Condition, Group, Related, Exists), Order,
//     Cursor and Aggregation: one model for search, views, marketing
//     lists, reports and workflow conditions. Related looks up a lookup
//     ("contacts whose parent account is in Paris"); Exists (Any, None)
//     looks down one ("accounts with a won opportunity", "contacts with no
//     activity"), and through an N:N relationship (ManyToMany.Any, None,
//     With). A query holds at most MaxRelated of the two, Dynamics' 15
//     link-entities. An Aggregation groups by fields of the
//     record or of related records (GroupBy.Path of Links, naming the
//     entity of a step through a polymorphic lookup), counts distinct
//     values (AggCountDistinct), labels lookup and choice keys
//     (GroupBy.Label, AggregateRow.Label), keeps groups by their
//     measures (Having) and returns the top of them (OrderBy, Limit). A store checks a query against metadata
//     when it runs it; what a query means, row by row and in order, is
//     defined once by the planner in storage/driver (PlanQuery,
//     Plan.Match, Plan.Compare), which every adapter follows.
//   - Queries as data: Query and Aggregation marshal to a stable JSON form
//     and back, operators and functions by name and every value in its Go
//     type (see Queries as JSON below), for saved views, marketing lists,
//     workflow conditions and HTTP requests.
//   - Hierarchies: an entity's one hierarchical lookup (Field.Hierarchical,
//     an account's parent account; the write path refuses cycles) is
//     queried with under, eq-or-under, above, eq-or-above and not-under
//     (Under, EqOrUnder, Above, EqOrAbove, NotUnder). As in FetchXML they
//     go on the record's ID (FieldID) with one record ID as the value:
//     "the account and all its sub-accounts" is EqOrUnder(id). not-under
//     X matches every record under X does not: X itself, its ancestors,
//     records with no parent. Each follows the lookup at most
//     MaxHierarchyDepth (100) levels, Dynamics' default recursion cap: a
//     record deeper below X is not under it. They combine with any other
//     filter and work inside related-record conditions ("contacts of the
//     account and its sub-accounts").
//   - Caller conditions: eq-userid, ne-userid, eq-userteams,
//     eq-useroruserteams, eq-businessid and ne-businessid take no value
//     and compare a lookup (ownerid, createdby, owningbusinessunit...) or
//     an ID with the reading Scope's caller, teams or business unit. A
//     query using one in a scope naming no caller (or, for the business
//     unit operators, no business unit) fails with a *ValidationError
//     naming the field and the operator; a caller with no teams owns
//     nothing through eq-userteams.
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
//
// # Queries as JSON
//
// A Query and an Aggregation marshal to JSON and back with json.Marshal
// and json.Unmarshal. The form is part of the API, since documents are
// kept: it names what Go numbers (operators by their FetchXML names, as
// Operator.String gives them; aggregate functions, AggFunc.String; date
// groupings, DateGrouping.String), leaves out what is empty, and writes
// keys in a fixed order, so that a query marshals to the same bytes every
// time:
//
//	{"entity":"contact",
//	 "where":{"and":[
//	   {"field":"lastname","op":"like","values":["D%"]},
//	   {"through":"parentcustomerid","entity":"account",
//	    "where":{"field":"revenue","op":"ge","values":[{"money":"1000000.00 USD"}]}}]},
//	 "orderBy":[{"field":"lastname"},{"field":"createdon","desc":true}],
//	 "limit":50,
//	 "after":"<the Next cursor of the previous page>"}
//
//	{"entity":"opportunity",
//	 "where":{"field":"statecode","op":"eq","values":[0]},
//	 "groupBy":[{"field":"ownerid"},{"alias":"month","field":"estimatedclosedate","date":"month"}],
//	 "measures":[{"alias":"n","func":"count"},{"alias":"total","func":"sum","field":"estimatedvalue"}]}
//
// (MarshalJSON writes no spaces or line breaks.) A query has "entity",
// always written, and when they are set "where", "orderBy" (each
// {"field", "desc"}), "limit" and "after". An aggregation has "entity",
// "where", "groupBy" (each {"alias", "path", "field", "label", "date"}:
// path a list of {"lookup", "entity"} steps, label true to ask for the
// key's display text, date one of "day", "month" and "year", left out to
// group by the value), "measures" (each {"alias", "func", "field"}, func
// one of "count", "countcolumn", "countdistinct", "sum", "avg", "min" and
// "max"), "having" (conditions on measure aliases), "orderBy" and
// "limit". A filter is one of
//
//   - a Condition: {"field", "op", "values"}, values left out when there
//     are none;
//   - a Group: {"and": [filters]} or {"or": [filters]}, where null is a
//     nil filter;
//   - a Related condition: {"through": lookup, "entity", "where"}, entity
//     left out when empty.
//   - an Exists condition: {"any": entity, "lookup", "where"}, or "none"
//     in place of "any" for one that holds when no record matches (Any,
//     None).
//   - a DiffCondition: {"diff": {"unit", "from", "to"}, "op", "value"},
//     unit "days" or "hours" (a Measure's "diff" has the same form).
//
// A condition value keeps its Go type. JSON's own values stand for
// themselves; an object with one key tags the values JSON cannot tell
// apart:
//
//	null                    nil
//	"text"                  string
//	true, false             bool
//	42                      int64: a number with no fraction and no exponent
//	1.50                    decimal.Decimal, exactly as written: 1.50 is not 1.5
//	{"decimal":"5"}         a decimal whose plain number would read as an
//	                        int64, or has more than DecimalDigits places:
//	                        "5", "5e3", "1e-41"
//	{"money":"1.50 USD"}    Money: the amount, exactly (1.50, 150, 15e1), a
//	                        space, the currency
//	{"time":"2024-01-31T09:30:00.5+01:00"}
//	                        time.Time in RFC 3339, to the nanosecond, with
//	                        its UTC offset
//	{"id":"0190f5e8-…"}     ID
//	{"ref":{"entity":"account","id":"0190f5e8-…"}}
//	                        Ref, entity left out when empty
//	{"valueof":"estimatedclosedate"}
//	                        FieldValue: another field of the record
//
// An integer of any signed type writes as its number and reads back as
// an int64, which every store takes where it takes the named type: an
// option set such as sales.Industry is its number here, not the name its
// own MarshalText gives. A float, an unsigned integer, a named string
// type, text that is not UTF-8, money in an unknown currency and a time
// RFC 3339 cannot write fail to marshal with a *ValidationError naming the
// value's path: JSON would not give them back.
//
// What MarshalJSON writes reads back as the same query: the same filters
// and Go types (every integer an int64), the same decimals to the
// exponent, the same instants with the same UTC offsets (a zone's name
// does not travel, nor a monotonic clock reading). Marshalling what was
// read gives the same bytes.
//
// Unmarshalling checks the form, and only the form: an unknown key, an
// operator or function of an unknown name or a value of no known form fails
// with a *ValidationError naming the JSON path of each problem
// (`where.and[2].op names an unknown operator "eqq"`). storage.Store's
// CheckQuery and CheckAggregation then check a loaded query against the
// metadata of the store that will run it, reading nothing.
package crm
