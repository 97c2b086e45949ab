package sales

import (
	"context"
	"fmt"
	"iter"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Contacts is the contact service: typed reads and writes of contacts
// through a storage.Store. It is safe for concurrent use, and operations
// join the transaction carried by ctx.
type Contacts struct {
	contacts *storage.Table[Contact]
}

// NewContacts returns the contact service over st, whose registry must
// hold the sales entities (Register).
func NewContacts(st *storage.Store) *Contacts {
	return &Contacts{contacts: storage.NewTable(st, ContactCodec())}
}

// Table returns typed access to the contact records, for what the service
// does not cover.
func (s *Contacts) Table() *storage.Table[Contact] { return s.contacts }

// Create stores a new contact and returns it as stored, Active, with its
// full name computed. Errors: crm.ErrValidation (a missing last name, a
// parent customer that does not exist, ...), crm.ErrDuplicate for an ID in
// use.
func (s *Contacts) Create(ctx context.Context, c Contact) (Contact, error) {
	if err := checkOwnParent(c); err != nil {
		return Contact{}, fmt.Errorf("create contact: %w", err)
	}
	return s.contacts.Create(ctx, c)
}

// checkOwnParent refuses a contact that is its own company: the lookup
// is polymorphic, so the store's hierarchy rule does not cover it.
func checkOwnParent(c Contact) error {
	if c.ID != crm.NilID && c.ParentCustomer.ID == c.ID {
		return crm.Invalid(ContactEntity, ContactParentCustomer, "cannot be the contact itself")
	}
	return nil
}

// Get returns the contact with the given ID, or an error matching
// crm.ErrNotFound.
func (s *Contacts) Get(ctx context.Context, id crm.ID) (Contact, error) {
	return s.contacts.Get(ctx, id)
}

// Update writes every field of c over the stored contact and returns it as
// stored. c.Version must be the version c was read at, or the update fails
// with crm.ErrConflict and changes nothing; a zero version is refused, as
// in Accounts.Update. An inactive contact refuses updates with
// crm.ErrInvalidTransition.
func (s *Contacts) Update(ctx context.Context, c Contact) (Contact, error) {
	if c.Version == 0 {
		return Contact{}, fmt.Errorf("update contact %s: %w", c.ID,
			crm.Invalid(ContactEntity, crm.FieldVersion, "is required: update the contact as it was read"))
	}
	if err := checkOwnParent(c); err != nil {
		return Contact{}, fmt.Errorf("update contact %s: %w", c.ID, err)
	}
	return s.contacts.Update(ctx, c)
}

// Deactivate moves an active contact to Inactive (read-only until
// activated). version 0 skips the version check. Deactivating an inactive
// contact fails with crm.ErrInvalidTransition.
func (s *Contacts) Deactivate(ctx context.Context, id crm.ID, version int64) (Contact, error) {
	return s.contacts.SetState(ctx, id, version, EventDeactivate, 0)
}

// Activate moves an inactive contact back to Active; activating an active
// one fails with crm.ErrInvalidTransition.
func (s *Contacts) Activate(ctx context.Context, id crm.ID, version int64) (Contact, error) {
	return s.contacts.SetState(ctx, id, version, EventActivate, 0)
}

// Delete removes a contact. Accounts that had it as primary contact lose
// the link; contacts whose parent customer it was are deleted with it.
// version 0 skips the version check.
func (s *Contacts) Delete(ctx context.Context, id crm.ID, version int64) error {
	return s.contacts.Delete(ctx, id, version)
}

// Search returns one page of the contacts matching q (see Accounts.Search).
// Conditions on the parent account go through crm.Through:
//
//	crm.Through(sales.ContactParentCustomer, sales.AccountEntity, crm.Eq(sales.AccountCity, "Oslo"))
func (s *Contacts) Search(ctx context.Context, q crm.Query) (storage.Page[Contact], error) {
	if q.Entity != "" && q.Entity != ContactEntity {
		return storage.Page[Contact]{}, fmt.Errorf("search contacts: %w",
			crm.Invalid(ContactEntity, "entity", fmt.Sprintf("is %q: contact search queries contacts", q.Entity)))
	}
	return s.contacts.Query(ctx, q)
}

// collect reads a whole sequence, stopping at the first error.
func collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
