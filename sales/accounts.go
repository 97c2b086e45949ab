package sales

import (
	"context"
	"fmt"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Accounts is the account service: typed reads and writes of accounts
// through a storage.Store, so every write passes the store's write path
// (validation, lookups, hooks, versions, transactions). It is safe for
// concurrent use.
//
// Operations join the transaction carried by ctx (storage.Store.InTx), so
// several of them can be made all or nothing.
//
// Delete removes an account in one transaction with what Dynamics'
// relationships do to the records around it: its contacts are deleted
// (contact_customer_accounts cascades), its sub-accounts lose their parent
// (account_parent_account removes the link).
type Accounts struct {
	table    *storage.Table[Account]
	contacts *storage.Table[Contact]
}

// NewAccounts returns the account service over st, whose registry must
// hold the sales entities (Register).
func NewAccounts(st *storage.Store) *Accounts {
	return &Accounts{
		table:    storage.NewTable(st, AccountCodec()),
		contacts: storage.NewTable(st, ContactCodec()),
	}
}

// Create stores a new account and returns it as stored, Active. a.ID may be
// set; the rest of the header is the store's. A primary contact must be a
// contact of this account (see SetPrimaryContact).
//
// Errors: crm.ErrValidation (a *crm.ValidationError naming every bad field:
// a missing name, a name over 160 characters, a parent that does not
// exist, ...), crm.ErrDuplicate for an ID in use.
func (s *Accounts) Create(ctx context.Context, a Account) (Account, error) {
	return s.table.Create(ctx, a)
}

// CreateMany stores new accounts in one transaction and returns them as
// stored: if any fails, none is created and the error says which. An
// account may name one created before it in the same call as its parent.
func (s *Accounts) CreateMany(ctx context.Context, as []Account) ([]Account, error) {
	return s.table.CreateMany(ctx, as)
}

// Update writes every field of a over the stored account and returns it as
// stored. a.Version must be the version a was read at: if someone changed
// the account since, the update fails with crm.ErrConflict and changes
// nothing (read it again and redo the change). Because every field is
// written, storage.AnyVersion, which would skip that check and silently
// undo other writers' changes, is refused. State, status reason and owner
// do not change here: Deactivate, Activate and Assign do.
//
// Errors: crm.ErrValidation, crm.ErrConflict, crm.ErrNotFound, and
// crm.ErrInvalidTransition for an inactive account (activate it first).
func (s *Accounts) Update(ctx context.Context, a Account) (Account, error) {
	return s.table.Update(ctx, a)
}

// Table returns typed access to accounts, for what the service does not
// cover.
func (s *Accounts) Table() *storage.Table[Account] { return s.table }

// Get returns the account with the given ID, or an error matching
// crm.ErrNotFound.
func (s *Accounts) Get(ctx context.Context, id crm.ID) (Account, error) {
	return s.table.Get(ctx, id)
}

// Deactivate moves an active account to Inactive, where it is read-only
// until activated again. version is the version the account was read at:
// if someone changed it since, Deactivate fails with crm.ErrConflict and
// changes nothing; storage.AnyVersion skips the check. Deactivating an
// inactive account fails with a *crm.TransitionError
// (crm.ErrInvalidTransition).
func (s *Accounts) Deactivate(ctx context.Context, id crm.ID, version int64) (Account, error) {
	return setState(ctx, s.table, id, version, EventDeactivate)
}

// Activate moves an inactive account back to Active. version works as in
// Deactivate; activating an active account fails with
// crm.ErrInvalidTransition.
func (s *Accounts) Activate(ctx context.Context, id crm.ID, version int64) (Account, error) {
	return setState(ctx, s.table, id, version, EventActivate)
}

// Assign gives the account a new owner, a user or a team. version works as
// in Deactivate.
func (s *Accounts) Assign(ctx context.Context, id crm.ID, version int64, owner crm.Ref) (Account, error) {
	return s.table.Assign(ctx, id, version, owner)
}

// Delete removes an account, in one transaction with what its
// relationships do to the records around it (see Accounts). version works
// as in Deactivate.
func (s *Accounts) Delete(ctx context.Context, id crm.ID, version int64) error {
	return s.table.Delete(ctx, id, version)
}

// Search returns one page of the accounts matching q: its filter, sort
// order, page size (crm.DefaultPageSize if 0) and cursor (the previous
// page's Next). q.Entity may be empty or "account"; a filter or order on
// an unknown field fails with crm.ErrValidation.
func (s *Accounts) Search(ctx context.Context, q crm.Query) (crm.PageOf[Account], error) {
	return search(ctx, s.table, q)
}

// Count returns how many accounts match q, whose Entity may be empty or
// "account"; its order, limit and cursor are not used.
func (s *Accounts) Count(ctx context.Context, q crm.Query) (int64, error) {
	return count(ctx, s.table, q)
}

// Children returns the direct sub-accounts of the account, by name.
func (s *Accounts) Children(ctx context.Context, accountID crm.ID) ([]Account, error) {
	out, err := collect(s.table.Iterate(ctx, crm.Query{
		Where:   crm.Eq(AccountParent, accountID),
		OrderBy: []crm.Order{crm.Asc(AccountName)},
	}))
	if err != nil {
		return nil, fmt.Errorf("sub-accounts of %s: %w", accountID, err)
	}
	return out, nil
}

// Contacts returns the contacts whose parent customer is the account, by
// full name.
func (s *Accounts) Contacts(ctx context.Context, accountID crm.ID) ([]Contact, error) {
	out, err := collect(s.contacts.Iterate(ctx, crm.Query{
		Where:   crm.Eq(ContactParentCustomer, AccountRef(accountID)),
		OrderBy: []crm.Order{crm.Asc(ContactFullName)},
	}))
	if err != nil {
		return nil, fmt.Errorf("contacts of account %s: %w", accountID, err)
	}
	return out, nil
}

// SetPrimaryContact makes a contact of the account its primary contact;
// crm.NilID clears it. version works as in Deactivate.
//
// The contact must belong to the account (its parent customer is the
// account); any other contact fails with a *crm.ValidationError on
// primarycontactid. The rule is the account's own (AccountMetadata), not
// this method's: the store enforces it on every write that sets or changes
// an account's primary contact, whichever door the write comes through.
// Dynamics' platform does not check this, but its form offers the
// account's own contacts, and a primary contact who works elsewhere is
// almost always a data-entry slip. A contact that later moves to another
// company stays the primary contact until someone changes it, as in
// Dynamics.
func (s *Accounts) SetPrimaryContact(ctx context.Context, accountID crm.ID, version int64, contactID crm.ID) (Account, error) {
	var value any
	if contactID != crm.NilID {
		value = ContactRef(contactID)
	}
	rec, err := s.table.Store().Update(ctx, crm.Record{Entity: AccountEntity, Header: crm.Header{ID: accountID, Version: version},
		Fields: crm.Fields{AccountPrimaryContact: value}})
	if err == nil {
		var out Account
		if out, err = decodeAccount(rec); err == nil {
			return out, nil
		}
	}
	return Account{}, fmt.Errorf("set primary contact of account %s: %w", accountID, err)
}
