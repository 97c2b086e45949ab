package sales

import (
	"sync"
	"time"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
)

// Contact is a person the business deals with (Dynamics' contact). See the
// package doc for the conventions of typed records.
type Contact struct {
	crm.Header
	FirstName string
	LastName  string // required
	// FullName is computed by the write path from FirstName and LastName
	// ("Ada Lovelace"); what a caller puts here is ignored.
	FullName    string
	JobTitle    string
	Email       string
	Telephone   string
	MobilePhone string
	// ParentCustomer is the contact's company: an account or, rarely, a
	// contact. Deleting it deletes the contact.
	ParentCustomer crm.Ref
	BirthDate      time.Time // date only: midnight UTC
	Address        Address
	Description    string
	// OriginatingLead is the lead whose qualification created the
	// contact (registered by Register; set by Leads.Qualify).
	OriginatingLead crm.Ref
	// Extra holds the fields of the contact record that Contact does not
	// declare: a host's custom fields (see the package doc). Decode puts
	// every such field here; Encode writes them back, so they survive a
	// typed read-modify-write and can be set on create.
	Extra crm.Fields
}

// ContactState returns the contact's state.
func (c Contact) ContactState() ContactState { return ContactState(c.State) }

// ContactStatus returns the contact's status reason.
func (c Contact) ContactStatus() ContactStatus { return ContactStatus(c.Status) }

// IsActive reports whether the contact is in the Active state.
func (c Contact) IsActive() bool { return c.ContactState() == ContactStateActive }

// Ref returns a reference to the contact, for lookups.
func (c Contact) Ref() crm.Ref { return ContactRef(c.ID) }

// ContactRef returns a reference to the contact with the given ID.
func ContactRef(id crm.ID) crm.Ref { return crm.Ref{Entity: ContactEntity, ID: id} }

// ContactCodec converts between Contact and contact records, for
// storage.Table. FullName is read, never written: the store computes it.
func ContactCodec() storage.Codec[Contact] {
	return storage.Codec[Contact]{Entity: ContactEntity, Encode: encodeContact, Decode: decodeContact}
}

func encodeContact(c Contact) crm.Record {
	return encodeTyped(ContactEntity, c.Header, contactFields(c), c.Extra, contactKnown(), []string{ContactFullName})
}

// contactFields returns the fields c's members hold.
func contactFields(c Contact) crm.Fields {
	f := crm.Fields{
		ContactFirstName:      text(c.FirstName),
		ContactLastName:       text(c.LastName),
		ContactJobTitle:       text(c.JobTitle),
		ContactEmail:          text(c.Email),
		ContactTelephone:      text(c.Telephone),
		ContactMobilePhone:    text(c.MobilePhone),
		ContactParentCustomer: unlessZero(c.ParentCustomer),
		ContactBirthDate:      unlessZero(c.BirthDate),
		ContactDescription:    text(c.Description),
		FieldOriginatingLead:  unlessZero(c.OriginatingLead),
	}
	c.Address.encode(f, addressPrefix)
	return f
}

// contactKnown names the fields Contact's members encode.
var contactKnown = sync.OnceValue(func() map[string]bool { return fieldSet(contactFields(Contact{})) })

func decodeContact(rec crm.Record) (Contact, error) {
	f := rec.Fields
	return Contact{
		Header:          rec.Header,
		FirstName:       f.String(ContactFirstName),
		LastName:        f.String(ContactLastName),
		FullName:        f.String(ContactFullName),
		JobTitle:        f.String(ContactJobTitle),
		Email:           f.String(ContactEmail),
		Telephone:       f.String(ContactTelephone),
		MobilePhone:     f.String(ContactMobilePhone),
		ParentCustomer:  f.Ref(ContactParentCustomer),
		BirthDate:       f.Time(ContactBirthDate),
		Address:         decodeAddress(f, addressPrefix),
		Description:     f.String(ContactDescription),
		OriginatingLead: f.Ref(FieldOriginatingLead),
		Extra:           extraFields(f, contactKnown(), ContactFullName),
	}, nil
}
