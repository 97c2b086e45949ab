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
//  3. the write, with the record's version checked (optimistic concurrency);
//  4. PostOperation hooks, inside the same transaction;
//  5. commit, then AfterCommit hooks.
//
// An error at any step rolls the whole transaction back.
//
// Driver is what a storage adapter implements: storage/memory and
// storage/sqlstore do, and storage/storagetest checks any adapter against
// the contract in one call.
package storage
