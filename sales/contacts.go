package sales

import (
	"context"

	"github.com/crmkit/crmkit/crm"
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
	table *storage.Table[Contact]
}

// NewContacts returns the contact service over st, whose registry must
// hold the sales entities (Register).
func NewContacts(st *storage.Store) *Contacts {
	return &Contacts{table: storage.NewTable(st, ContactCodec())}
}

// Create stores a new contact and returns it as stored, Active, with its
// full name computed. Errors: crm.ErrValidation (a missing last name, a
// parent customer that does not exist or is the contact itself or one of
// its own contacts, ...), crm.ErrDuplicate for an ID in use.
func (s *Contacts) Create(ctx context.Context, c Contact) (Contact, error) {
	return s.table.Create(ctx, c)
}

// CreateMany stores new contacts in one transaction and returns them as
// stored, as Accounts.CreateMany does accounts.
func (s *Contacts) CreateMany(ctx context.Context, cs []Contact) ([]Contact, error) {
	return s.table.CreateMany(ctx, cs)
}

// Update writes every field of c over the stored contact and returns it as
// stored. c.Version must be the version c was read at, or the update fails
// with crm.ErrConflict and changes nothing; storage.AnyVersion is refused,
// as in Accounts.Update. An inactive contact refuses updates with
// crm.ErrInvalidTransition.
func (s *Contacts) Update(ctx context.Context, c Contact) (Contact, error) {
	return s.table.Update(ctx, c)
}

// Table returns typed access to contacts, for what the service does not
// cover.
func (s *Contacts) Table() *storage.Table[Contact] { return s.table }

// Get returns the contact with the given ID, or an error matching
// crm.ErrNotFound.
func (s *Contacts) Get(ctx context.Context, id crm.ID) (Contact, error) {
	return s.table.Get(ctx, id)
}

// Deactivate moves an active contact to Inactive, where it is read-only
// until activated again. version works as in Accounts.Deactivate.
func (s *Contacts) Deactivate(ctx context.Context, id crm.ID, version int64) (Contact, error) {
	return setState(ctx, s.table, id, version, EventDeactivate)
}

// Activate moves an inactive contact back to Active. version works as in
// Accounts.Deactivate.
func (s *Contacts) Activate(ctx context.Context, id crm.ID, version int64) (Contact, error) {
	return setState(ctx, s.table, id, version, EventActivate)
}

// Assign gives the contact a new owner, a user or a team. version works as
// in Accounts.Deactivate.
func (s *Contacts) Assign(ctx context.Context, id crm.ID, version int64, owner crm.Ref) (Contact, error) {
	return s.table.Assign(ctx, id, version, owner)
}

// Delete removes a contact, in one transaction with what its relationships
// do (see Contacts). version works as in Accounts.Deactivate.
func (s *Contacts) Delete(ctx context.Context, id crm.ID, version int64) error {
	return s.table.Delete(ctx, id, version)
}

// Search returns one page of the contacts matching q, as Accounts.Search
// does accounts; q.Entity may be empty or "contact".
func (s *Contacts) Search(ctx context.Context, q crm.Query) (crm.PageOf[Contact], error) {
	return search(ctx, s.table, q)
}

// Count returns how many contacts match q, whose Entity may be empty or
// "contact".
func (s *Contacts) Count(ctx context.Context, q crm.Query) (int64, error) {
	return count(ctx, s.table, q)
}
