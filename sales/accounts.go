package sales

import (
	"context"
	"errors"
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
	records[Account]
	contacts *storage.Table[Contact]
}

// NewAccounts returns the account service over st, whose registry must
// hold the sales entities (Register).
func NewAccounts(st *storage.Store) *Accounts {
	return &Accounts{
		records:  records[Account]{storage.NewTable(st, AccountCodec())},
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
	var out Account
	err := s.table.Store().InTx(ctx, func(ctx context.Context) error {
		if err := s.checkPrimaryContact(ctx, a.ID, a.PrimaryContact); err != nil {
			return fmt.Errorf("create account: %w", err)
		}
		var err error
		out, err = s.table.Create(ctx, a)
		return err
	})
	return out, err
}

// Update writes every field of a over the stored account and returns it as
// stored. a.Version must be the version a was read at: if someone changed
// the account since, the update fails with crm.ErrConflict and changes
// nothing (read it again and redo the change). Because every field is
// written, a zero version, which would skip that check and silently undo
// other writers' changes, is refused. State, status reason and owner do not
// change here: Deactivate, Activate and the store's Assign do.
//
// Errors: crm.ErrValidation, crm.ErrConflict, crm.ErrNotFound, and
// crm.ErrInvalidTransition for an inactive account (activate it first).
func (s *Accounts) Update(ctx context.Context, a Account) (Account, error) {
	if err := s.checkVersion(a.ID, a.Version); err != nil {
		return Account{}, err
	}
	var out Account
	err := s.table.Store().InTx(ctx, func(ctx context.Context) error {
		before, err := s.table.Get(ctx, a.ID)
		if err != nil {
			return fmt.Errorf("update account %s: %w", a.ID, err)
		}
		if a.PrimaryContact.ID != before.PrimaryContact.ID {
			if err := s.checkPrimaryContact(ctx, a.ID, a.PrimaryContact); err != nil {
				return fmt.Errorf("update account %s: %w", a.ID, err)
			}
		}
		out, err = s.table.Update(ctx, a)
		return err
	})
	return out, err
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
// crm.NilID clears it. version works as in Deactivate: 0 skips the check.
//
// The contact must belong to the account (its parent customer is the
// account); any other contact fails with a *crm.ValidationError on
// primarycontactid. Dynamics' platform does not check this, but its form
// offers the account's own contacts, and a primary contact who works
// elsewhere is almost always a data-entry slip. The rule holds for Create,
// Update and SetPrimaryContact of this service; it is not a storage
// constraint, so a contact that later moves to another company stays the
// primary contact until someone changes it, as in Dynamics.
func (s *Accounts) SetPrimaryContact(ctx context.Context, accountID crm.ID, version int64, contactID crm.ID) (Account, error) {
	var out Account
	err := s.table.Store().InTx(ctx, func(ctx context.Context) error {
		var value any
		if contactID != crm.NilID {
			c := ContactRef(contactID)
			if err := s.checkPrimaryContact(ctx, accountID, c); err != nil {
				return err
			}
			value = c
		}
		rec, err := s.table.Store().Update(ctx, crm.Record{Entity: AccountEntity, Header: crm.Header{ID: accountID, Version: version},
			Fields: crm.Fields{AccountPrimaryContact: value}})
		if err != nil {
			return err
		}
		out, err = decodeAccount(rec)
		return err
	})
	if err != nil {
		return Account{}, fmt.Errorf("set primary contact of account %s: %w", accountID, err)
	}
	return out, nil
}

// checkPrimaryContact checks that contact, if set, is a contact of the
// account accountID.
func (s *Accounts) checkPrimaryContact(ctx context.Context, accountID crm.ID, contact crm.Ref) error {
	if contact.IsZero() {
		return nil
	}
	if contact.Entity != "" && contact.Entity != ContactEntity {
		return nil // the store names the wrong target entity
	}
	// Locked, so that the contact cannot move to another company before
	// this account's write commits.
	c, err := s.contacts.Lock(ctx, contact.ID)
	if errors.Is(err, crm.ErrNotFound) {
		return nil // the store reports a contact that does not exist
	}
	if err != nil {
		return err
	}
	if c.ParentCustomer != AccountRef(accountID) || accountID == crm.NilID {
		return crm.Invalid(AccountEntity, AccountPrimaryContact,
			fmt.Sprintf("is %s, who is not a contact of this account", c.FullName))
	}
	return nil
}
