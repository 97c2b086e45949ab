package sales

import (
	"context"
	"errors"
	"fmt"

	"github.com/crmkit/crmkit/crm"
)

// The rules of accounts and contacts that their fields cannot express.
// They are part of AccountMetadata and ContactMetadata, so every store on
// a registry that holds the sales entities runs them on every write of an
// account or a contact: through the services, a storage.Table, or the
// store's generic Create, CreateMany, Update and ChangeState alike.
//
// An account cannot be its own parent or ancestor either; that rule needs
// no code here: parentaccountid is declared Hierarchical, and the write
// path refuses a cycle in any hierarchical lookup.

// accountRules returns the account's rules.
func accountRules() []crm.Rule {
	return []crm.Rule{{
		Name:   "the primary contact is a contact of the account",
		Fields: []string{AccountPrimaryContact},
		Check:  checkPrimaryContact,
	}}
}

// contactRules returns the contact's rules.
func contactRules() []crm.Rule {
	return []crm.Rule{{
		Name:   "a contact is not its own parent customer or ancestor",
		Fields: []string{ContactParentCustomer},
		Check:  checkContactHierarchy,
	}}
}

// checkPrimaryContact refuses a primary contact whose parent customer is
// not the account. Dynamics' platform does not check this, but its form
// offers the account's own contacts, and a primary contact who works
// elsewhere is almost always a data-entry slip. The rule runs when the
// primary contact is set or changed; a contact that later moves to another
// company stays the primary contact until someone changes it, as in
// Dynamics.
//
// The contact is held (crm.Records.Lock), so that it cannot move to
// another company before the account's write commits.
func checkPrimaryContact(ctx context.Context, w crm.Write) error {
	ref := w.Target.Fields.Ref(AccountPrimaryContact)
	if ref.IsZero() {
		return nil
	}
	c, err := w.Records.Lock(ctx, ContactEntity, ref.ID)
	if errors.Is(err, crm.ErrNotFound) {
		return crm.Invalid(AccountEntity, AccountPrimaryContact, fmt.Sprintf("points at %s, which does not exist", ref))
	}
	if err != nil {
		return err
	}
	if c.Fields.Ref(ContactParentCustomer) != AccountRef(w.Target.ID) {
		return crm.Invalid(AccountEntity, AccountPrimaryContact,
			fmt.Sprintf("is %s, who is not a contact of this account", c.Fields.String(ContactFullName)))
	}
	return nil
}

// maxContactDepth bounds the walk up a contact hierarchy, against a cycle
// stored before the rule existed.
const maxContactDepth = 10_000

// checkContactHierarchy refuses a parent customer that is the contact
// itself or one of the contacts below it. The lookup is polymorphic
// (account or contact), so the store's rule for hierarchical lookups does
// not cover it. Each contact on the way up is held, so two writers cannot
// close a loop between them.
func checkContactHierarchy(ctx context.Context, w crm.Write) error {
	parent := w.Target.Fields.Ref(ContactParentCustomer)
	for range maxContactDepth {
		if parent.IsZero() || parent.Entity != ContactEntity {
			return nil
		}
		if parent.ID == w.Target.ID {
			reason := "would make the contact its own ancestor"
			if w.Target.Fields.Ref(ContactParentCustomer).ID == w.Target.ID {
				reason = "cannot be the contact itself"
			}
			return crm.Invalid(ContactEntity, ContactParentCustomer, reason)
		}
		rec, err := w.Records.Lock(ctx, ContactEntity, parent.ID)
		if errors.Is(err, crm.ErrNotFound) {
			return nil // the store reports a lookup that points nowhere
		}
		if err != nil {
			return err
		}
		parent = rec.Fields.Ref(ContactParentCustomer)
	}
	return crm.Invalid(ContactEntity, ContactParentCustomer, "has a hierarchy too deep to check")
}
