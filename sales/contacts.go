package sales

import (
	"context"

	"github.com/crmkit/crmkit/storage"
)

// Contacts is the contact service: typed reads and writes of contacts
// through a storage.Store. It is safe for concurrent use, and operations
// join the transaction carried by ctx.
//
// Delete removes a contact in one transaction with what its relationships
// do: accounts that had it as primary contact lose the link; contacts
// whose parent customer it was are deleted with it. Search conditions on
// the parent account go through crm.Through:
//
//	crm.Through(sales.ContactParentCustomer, sales.AccountEntity, crm.Eq(sales.AccountCity, "Oslo"))
type Contacts struct {
	records[Contact]
}

// NewContacts returns the contact service over st, whose registry must
// hold the sales entities (Register).
func NewContacts(st *storage.Store) *Contacts {
	return &Contacts{records[Contact]{storage.NewTable(st, ContactCodec())}}
}

// Create stores a new contact and returns it as stored, Active, with its
// full name computed. Errors: crm.ErrValidation (a missing last name, a
// parent customer that does not exist or is the contact itself or one of
// its own contacts, ...), crm.ErrDuplicate for an ID in use.
func (s *Contacts) Create(ctx context.Context, c Contact) (Contact, error) {
	return s.table.Create(ctx, c)
}

// Update writes every field of c over the stored contact and returns it as
// stored. c.Version must be the version c was read at, or the update fails
// with crm.ErrConflict and changes nothing; a zero version is refused, as
// in Accounts.Update. An inactive contact refuses updates with
// crm.ErrInvalidTransition.
func (s *Contacts) Update(ctx context.Context, c Contact) (Contact, error) {
	if err := s.checkVersion(c.ID, c.Version); err != nil {
		return Contact{}, err
	}
	return s.table.Update(ctx, c)
}
