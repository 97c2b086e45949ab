// Package storage is crmkit's storage contract and its write path.
//
// Store is what applications and domain packages use: access to any
// registered entity (Get, Create, CreateMany, CreateSeq, Update, Delete, SetState,
// ChangeState, Assign, Query, Count, Iterate, Aggregate, Names; CheckQuery
// and CheckAggregation for a query loaded from JSON; Import, GetByKey,
// Upsert and Recompute for getting data in), Table for
// Go types with the same record methods and arguments in T (a page of T is
// a crm.PageOf[T], as a page of records is a crm.Page), transactions that
// nest (InTx), named operations (Execute), and hooks at
// every stage of every write (Hook, HookFields, HookMessage). Every write
// goes through one pipeline, Dynamics' event pipeline:
//
//  1. PreValidation hooks, on the request as the caller made it, before
//     the transaction begins (inside it when the write joins one): they may
//     change the request or refuse it, having changed nothing;
//  2. validate against the entity's metadata, and check that every lookup
//     points at a record that exists;
//  3. PreOperation hooks, inside the transaction;
//  4. the entity's rules (crm.Rule), on the record as the hooks leave it;
//  5. the write, with the record's version checked (optimistic concurrency,
//     see AnyVersion);
//  6. PostOperation hooks, inside the same transaction;
//  7. commit, then AfterCommit hooks.
//
// A hook registered with filtering attributes (HookFields) runs only for
// updates and state changes that change one of its fields.
//
// An Update at a known version (not AnyVersion) that nothing in the
// pipeline needs the stored record for (no PreOperation, PostOperation or
// AfterCommit hooks on the entity's updates, no named operation, no
// rules, no computed fields, and no lookup or immutable field among the
// changes) is written in one step when the adapter can (driver.Patcher):
// one statement on the SQL stores, the version and the read-only states
// checked in its WHERE; outside a transaction, that statement is the
// whole update (no BEGIN or COMMIT). When that step finds no record to write, the
// update runs the general path, which reads the record and fails exactly
// as it would have: the fast path changes what an update costs, never
// what it does.
//
// A Create that joins no transaction and needs nothing but its record (no
// hook at any stage, no rule or named operation, an entity that is not
// priced, extends no base and keeps no N:N relationship, and no lookup
// set, which would be checked and its target shared in a transaction) is
// made as the general path makes it and inserted in one step where the
// adapter can (driver.AloneInserter): one INSERT on its own on the SQL
// stores. A write on its own commits as it runs: a connection lost after
// it went out, with no answer from the database, fails it with
// ErrCommitUnknown, as a lost COMMIT does.
//
// A CreateMany of records of one entity that need no statement while
// they are made (no PreOperation hook or rule; an entity that is not
// priced and has no base, N:N relationship, hierarchical or computed
// lookup) streams to an adapter that can (driver.StreamInserter): the
// targets of its lookups are shared first, then each record is checked
// and made as the adapter writes the ones before it (one COPY on
// PostgreSQL), in order, failing as it would one by one.
//
// # Metadata that grows
//
// Store.AddFields adds fields to a registered entity of a running store:
// a driver with a schema (FieldAdder) makes room for them first, while
// other goroutines keep writing, and the registry then publishes the
// extended entity, so the next write can set them. The memory store has
// no schema: there it changes the metadata alone.
//
// # Getting data in
//
// Import is CreateMany in import mode (Dynamics' data import): a record
// may be created in any state of its lifecycle with any status reason of
// that state (a won opportunity, an inactive account), and a creation
// time it gives (Header.CreatedOn) is kept as the original, the time of
// the import going to Header.OverriddenCreatedOn (Dynamics'
// overriddencreatedon; null for records created live); modified on is the
// time of the import. Everything else is a create's: fields validated,
// status reasons checked against their state, lookups, rules and keys
// enforced, hooks run. Hooks tell an import from a live write by
// Event.Import; the writes they make are live.
//
// Base entities (crm.Entity.TypeField, Dynamics' activitypointer) are
// kept by the write path: creating, updating, changing the state of,
// assigning, importing or recomputing a record of an entity that extends
// a base writes its base record (same ID and header, the shared fields,
// the type) in the same transaction, and deleting it deletes the base
// record with the delete behaviours of what refers to it (an activity's
// parties). One query of the base reads records of every type. Writes
// and hooks naming a base entity are refused: write its extensions.
//
// A record's modifiedon never goes back: a transaction's time is fixed
// when it begins, before it waits for a record's lock, so a write that
// waited behind a writer that began later keeps that writer's time.
//
// A state change sets the time fields its transition stamps
// (crm.Transition.Stamps) to the transaction's time, unless the change
// gives them a value (ChangeState's Fields); IfEmpty stamps only an empty
// field. An event whose transition names an operation
// (crm.Transition.Operation) fires only inside that named operation
// (Execute), its hooks and the operations it runs included; through any
// other door it fails with a *crm.TransitionError naming the operation.
// A lookup to a user, team or business unit that the registry does
// not declare as an entity (an activity party that is a user) is taken
// unchecked, as an owner is.
//
// Alternate keys (crm.Key, declared in metadata) identify records by
// their data: every store keeps them unique, text compared
// case-insensitively, and a record with a null key part outside the key,
// as in a SQL unique index; a write that would store a key value twice
// fails with a *crm.DuplicateKeyError naming the key. GetByKey finds a
// record by its key. Upsert creates a record or updates the one holding
// its key, atomically under concurrency (a loser of the race on SQL is
// retried, as any ErrRetry, and then updates), and writes nothing when
// the record holds every given value already. Import with
// ImportOptions.Key upserts every record by the key, looking keys up a
// batch at a time, so that an import run twice creates nothing twice and,
// the second time, writes nothing.
//
// Recompute brings the computed fields of stored records up to date
// after a computed field was added or its calculator changed: a batch per
// transaction in ID order, resumable from the last ID it reports,
// read-only records included, modified on and by untouched; the version
// of a record it changes grows, so that optimistic concurrency still
// catches a writer holding the record from before.
//
// # Rules
//
// Rules belong to the registry, not to a Store: a module declares them with
// its entities (crm.Entity.Rules, crm.Registry.AddRules), so every Store on
// that registry enforces them on every create and change of a record,
// whether it comes through a domain service, a Table, Create, CreateMany,
// Update, SetState, ChangeState or Assign, and a rule with Deletes set on
// every delete too, the records a cascade reaches included (told by
// crm.Write.Cascade); no Store can be built without them. A rule is a function of the write (the record before, the record
// as it will be stored) and of the records it reads through
// crm.Write.Records, which holds them (a shared lock) in the write's
// transaction: what the rule read stays true until the write commits,
// whatever other writers do, and the checks of many writers may read the
// same record at once. The walk up a hierarchical lookup holds each
// ancestor the same way, so two writers cannot close a loop between them.
// Rules run before the write, so a refused write has written nothing and a
// transaction may handle the *crm.ValidationError and go on. Hooks, by
// contrast, belong to one Store: they are a host's plug-ins.
//
// # Money in several currencies
//
// When the registry has a base currency (crm.Registry.SetBaseCurrency),
// the write path, not the adapters, keeps every record with money fields
// priced. After the PreOperation hooks, on create and on any change that
// touches a money field or the state, it
//
//   - refuses a record whose money fields are in different currencies
//     (a *crm.ValidationError naming the field that differs);
//   - captures the record's exchange rate (crm.FieldExchangeRate): 1 for
//     the base currency, else the rate of the currency's
//     crm.CurrencyEntity record read in the write's transaction; a
//     currency without one is refused, naming the money field;
//   - sets each "<field>_base" to amount / rate, rounded half away from
//     zero to crm.BasePlaces (crm.ToBase).
//
// Any other change (a plain field, an assignment) keeps the record's rate
// and base amounts as they were: changing a currency's rate never changes
// a stored amount silently. The currency record's own versions are the
// history of its rate; each record keeps the rate it was priced at.
// Currency records are checked too: a known ISO 4217 code in upper case,
// one record per code, and the base currency at rate 1. Entities without
// money fields pay nothing for any of it.
//
// # Reports
//
// Aggregate answers what a Dynamics chart or report asks (crm.Aggregation):
// measures (count, countcolumn, distinct counts, sum, avg, min, max)
// grouped by fields of the record or of records its lookups lead to
// (crm.GroupBy.Path: "won revenue by the region of the owner's team"),
// with the primary name of a lookup key's record or a choice key's label
// beside the key (crm.GroupBy.Label), kept by Having, ordered by any group
// or measure and cut to a Limit ("the top 5 agents"). A SQL store computes
// the groups in one statement (LEFT JOINs along each path and to the named
// records); Having, the order and the limit apply to those groups in the
// planner's Finish, the same code for every store, so a tie, a decimal
// compared exactly or a sum in another currency comes out alike
// everywhere. The groups, never the records, travel from the database.
//
// Dynamics refuses an aggregate over more than 50,000 records
// (AggregateQueryRecordLimit). A Store does not, by default, and that is
// a choice: the limit protects a shared multi-tenant server from one
// user's report, while crmkit runs in its host's process against the
// host's own database, where a report over a million opportunities is an
// index scan the host chose to run, and an arbitrary cut-off would make
// reports fail as the data grows. A host that shares its database with
// interactive users, or wants Dynamics' behaviour, makes the store
// WithAggregateLimit(DynamicsAggregateLimit) (or any limit): an aggregate
// over more matching records then fails with an *AggregateLimitError
// (errors.Is ErrAggregateLimit), counted in the same statement.
//
// # Named operations
//
// A domain operation (qualify a lead, win an opportunity, convert a quote,
// resolve a case, merge) is a named message run by Execute: a function
// whose writes form one transaction, with hooks registered for the message
// by name (HookMessage) that see its Inputs, its Outputs and every record
// it touched (Execution.Writes), and can change its inputs or abort it.
// Every write inside carries the message's name in Event.Message, so an
// entity hook can tell a "win" from a plain update. A state change and
// the fields that go with it (winning sets the actual revenue and close
// date) are one write, ChangeState: one version, one event, and the
// read-only state it may lead to refuses plain updates afterwards.
//
// An error at any step rolls the whole transaction back, and so does a
// panic: one that passes through a write after it has written poisons the
// transaction even if a caller recovers it, so InTx returns ErrRolledBack
// instead of committing half an operation. An AfterCommit hook cannot undo
// the commit: its error or panic is logged and the other hooks still run.
//
// # Scope
//
// Every read and write runs in the crm.Scope of its context. A write needs
// a caller (crm.WithCaller, crm.WithScope, or crm.AsSystem for imports and
// jobs): without one it fails with crm.ErrNoCaller having written nothing.
// The caller stamps created and modified by and owns new records by
// default; the scope's business unit becomes the record's owning business
// unit (Header.BusinessUnit), which update and assign keep. Every read
// (Get, Lock, Query, Iterate, Count, Aggregate) resolves the scope once,
// in one place of the Store, which is where the access checks of the
// security model will filter what the caller may see; until then a read
// needs no caller, except a query with a caller condition (eq-userid,
// eq-userteams, eq-businessid...), which compares with the scope's caller,
// teams and business unit and is refused, as a *crm.ValidationError,
// in a scope naming none. Relative date conditions follow the scope's time zone
// (driver.PlanQuery) and count from the store's "now" unless the
// scope sets its own (Scope.Now, an "as of" for reads; writes are always
// stamped by the store's clock).
//
// A record is known by its entity and ID (a crm.Ref), as in Dynamics,
// where IDs are unique per table: an account and a contact may share an
// ID, and every part of the write path (duplicate checks, lookups, delete
// behaviours, polymorphic lookup conditions) tells them apart.
//
// Associate and Disassociate link and unlink two records through an N:N
// relationship (crm.ManyToMany): they create and delete the relationship's
// intersect record through the write path, hooks included. A pair is
// associated once: a second Associate fails with crm.ErrDuplicate on every
// store, the intersect record's ID being derived from the pair. Associated
// lists the records on the other side of one record, a query like any
// other (crm.ManyToMany.With), answered by the store in one statement.
//
// Delete applies each relationship's delete behaviour. When a Restrict
// relationship can be met, on the record or on one its cascades reach, the
// cascade is walked once without writing first: a restricted delete fails
// with crm.ErrRestricted having written nothing, so a transaction may
// handle it and go on. Each record the delete reaches is asked once who
// points at it, for every relationship at once (driver.Tx.Referrers). A
// version-checked delete of a record no relationship can point at, with
// no delete hook and outside a named operation, is the adapter's
// version-checked delete alone; one that fails with crm.ErrConflict or
// crm.ErrNotFound writes nothing, so a transaction may handle that too.
// Outside a transaction it is one statement on its own where the adapter
// can (driver.AloneDeleter), as an update is. A delete nobody watches (no
// delete hook, no named operation) locks the record (only its version,
// where the adapter can: driver.VersionLocker) and asks who points at it
// before the walk without writing: when nothing does and the entity
// extends no base, nothing can restrict it, and the delete is that lock,
// that question and the write, the last two one step where the adapter
// can (driver.UnreferencedDeleter: on the SQL stores, a DELETE unless a
// referrer exists).
//
// Count with no condition needs neither the scope's time nor its caller:
// its plan is made once per entity and registry generation, and the
// memory store answers it from a size it keeps per entity.
//
// A unit of work whose context is done when its function returns is rolled
// back on every store, and InTx returns an error matching the context's.
//
// A Store runs over an adapter: storage/memory, or storage/sqlstore's
// SQLite (storage/sqlstore/sqlite) and PostgreSQL (storage/sqlstore/postgres).
// What an adapter implements (driver.Driver, driver.Tx and the query plans
// they answer) is package storage/driver, which application code does not
// need, as database/sql/driver is to database/sql; storage/storagetest
// checks any adapter against that contract in one call.
package storage
