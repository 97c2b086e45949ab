// Package storage is crmkit's storage contract and its write path.
//
// Store is what applications and domain packages use: typed access to any
// registered entity (Get, Create, Update, Delete, SetState, Assign, Query,
// Count, Iterate, Aggregate, and Table for Go types), transactions that nest
// (InTx), and hooks at every stage of every write (Hook). Every write goes
// through one pipeline:
//
//  1. validate against the entity's metadata, and check that every lookup
//     points at a record that exists;
//  2. PreOperation hooks, inside the transaction;
//  3. the entity's rules (crm.Rule), on the record as the hooks leave it;
//  4. the write, with the record's version checked (optimistic concurrency);
//  5. PostOperation hooks, inside the same transaction;
//  6. commit, then AfterCommit hooks.
//
// Rules belong to the registry, not to a Store: a module declares them with
// its entities (crm.Entity.Rules, crm.Registry.AddRules), so every Store on
// that registry enforces them on every create and change of a record,
// whether it comes through a domain service, a Table, Create, CreateMany,
// Update, SetState, ChangeState or Assign. A rule reads other records through
// crm.Write.Records, which locks them in the write's transaction: what the
// rule read stays true until the write commits, whatever other writers do.
//
// An error at any step rolls the whole transaction back, and so does a
// panic: one that passes through a write after it has written poisons the
// transaction even if a caller recovers it, so InTx returns ErrRolledBack
// instead of committing half an operation. An AfterCommit hook cannot undo
// the commit: its error or panic is logged and the other hooks still run.
//
// A record is known by its entity and ID (a crm.Ref), as in Dynamics,
// where IDs are unique per table: an account and a contact may share an
// ID, and every part of the write path (duplicate checks, lookups, delete
// behaviours, polymorphic lookup conditions) tells them apart.
//
// Delete applies each relationship's delete behaviour. When a Restrict
// relationship can be met, on the record or on one its cascades reach, the
// cascade is walked once without writing first: a restricted delete fails
// with crm.ErrRestricted having written nothing, so a transaction may
// handle it and go on.
//
// A unit of work whose context is done when its function returns is rolled
// back on every store, and InTx returns an error matching the context's.
//
// Driver is what a storage adapter implements: storage/memory and
// storage/sqlstore do, and storage/storagetest checks any adapter against
// the contract in one call.
package storage
