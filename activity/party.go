package activity

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/crmkit/crmkit/crm"
)

// Party is one party of an activity in one role (an activityparty
// record): a record (Party: an account, contact, lead, user, ...) or, for
// an unresolved party, an address alone.
type Party struct {
	// ID is the party row's ID, set by the store.
	ID   crm.ID
	Role Role
	// Party is the record taking part; the zero Ref for an unresolved
	// party, or for one whose record was deleted.
	Party crm.Ref
	// Address is the address used (an email address, a phone number), at
	// most 320 characters; required when Party is empty.
	Address string
}

// As returns one party per ref in the role: activity.As(activity.RoleTo,
// ada, grace).
func As(role Role, refs ...crm.Ref) []Party {
	out := make([]Party, len(refs))
	for i, r := range refs {
		out[i] = Party{Role: role, Party: r}
	}
	return out
}

// Unresolved returns a party known by its address alone.
func Unresolved(role Role, address string) Party { return Party{Role: role, Address: address} }

// partyMetadata returns activityparty. Its rule (partyRule) reads the
// activity's type and state from its activitypointer record; reg is the
// registry it looks the type's lifecycle up in.
func partyMetadata(reg *crm.Registry) *crm.Entity {
	return &crm.Entity{
		Name:  PartyEntity,
		Label: "Activity Party",
		Fields: []crm.Field{
			{Name: PartyActivity, Label: "Activity", Type: crm.TypeLookup, Targets: []string{PointerEntity},
				Required: true, Immutable: true, OnDelete: crm.DeleteCascade},
			{Name: PartyID, Label: "Party", Type: crm.TypeLookup, Polymorphic: true, Targets: []string{crm.UserEntity},
				OnDelete: crm.DeleteRemoveLink},
			{Name: PartyRole, Label: "Participation Type", Type: crm.TypeChoice, Options: slices.Clone(roles), Required: true},
			{Name: PartyAddress, Label: "Address Used", Type: crm.TypeText, MaxLength: 320},
		},
		// One row per (activity, party, role); unresolved parties (no
		// partyid) are outside the key, as a null is outside a unique
		// index.
		Keys:  []crm.Key{{Name: "activityparty_role", Fields: []string{PartyActivity, PartyID, PartyRole}}},
		Rules: []crm.Rule{partyRule(reg)},
	}
}

// partyRule checks a party against its activity: the role is one the
// activity's type allows (AllowedRoles), an organizer is a user, a party
// names a record or an address, and a closed activity's parties do not
// change. The only change a closed activity's party takes is the removal
// of a deleted record's link, which the write path makes when the party's
// record is deleted.
func partyRule(reg *crm.Registry) crm.Rule {
	return crm.Rule{Name: "party fits its activity", Check: func(ctx context.Context, w crm.Write) error {
		f := w.Target.Fields
		act := f.Ref(PartyActivity)
		ptr, err := w.Records.Lock(ctx, PointerEntity, act.ID)
		if err != nil {
			if errors.Is(err, crm.ErrNotFound) {
				return crm.Invalid(PartyEntity, PartyActivity, fmt.Sprintf("points at activity %s, which does not exist (create the activity first)", act.ID))
			}
			return err
		}
		typ := ptr.Fields.String(FieldType)
		if w.Before != nil && unlinkedOnly(w.Before.Fields, f) {
			return nil
		}
		if e, err := reg.Entity(typ); err == nil && e.Lifecycle != nil {
			if st, ok := e.Lifecycle.State(ptr.State); ok && st.ReadOnly {
				return fmt.Errorf("%s %s is %s: its parties do not change until it is reopened: %w",
					typ, act.ID, st.Name, &crm.TransitionError{Entity: typ, State: st.Name, Event: "change parties"})
			}
		}
		role, _ := f.Choice(PartyRole)
		if !slices.Contains(AllowedRoles(typ), Role(role)) {
			return crm.Invalid(PartyEntity, PartyRole, fmt.Sprintf("%s is not a role of a %s party (allowed: %v)", Role(role), typ, AllowedRoles(typ)))
		}
		party := f.Ref(PartyID)
		if Role(role) == RoleOrganizer && !party.IsZero() && party.Entity != crm.UserEntity {
			return crm.Invalid(PartyEntity, PartyID, "an organizer is a user")
		}
		if party.IsZero() && f.String(PartyAddress) == "" {
			return crm.Invalid(PartyEntity, PartyID, "is required unless an address is given (an unresolved party)")
		}
		return nil
	}}
}

// unlinkedOnly reports whether after differs from before only by a
// cleared partyid: the link removal of a deleted party record.
func unlinkedOnly(before, after crm.Fields) bool {
	if before[PartyID] == nil || after[PartyID] != nil {
		return false
	}
	for name, v := range before {
		if name != PartyID && !crm.SameValue(v, after[name]) {
			return false
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			return false
		}
	}
	return true
}
