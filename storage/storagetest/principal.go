package storagetest

import (
	"testing"

	"github.com/crmkit/crmkit/crm"
	"github.com/stretchr/testify/require"
)

// testPrincipalLookups: a declared lookup may point at a user, which no
// registered entity holds (an activity party that is a user); the write
// path takes it as it takes an owner, and every store keeps and finds it.
func testPrincipalLookups(t *testing.T, open Opener) {
	e := newEnvChanged(t, open, func(reg *crm.Registry) {
		if err := reg.Register(&crm.Entity{Name: "attendee", Fields: []crm.Field{
			{Name: "who", Type: crm.TypeLookup, Polymorphic: true, Targets: []string{crm.UserEntity, contact}},
		}}); err != nil {
			panic(err)
		}
	})
	user := crm.Ref{Entity: crm.UserEntity, ID: bob}
	r := e.create("attendee", crm.Fields{"who": user})
	require.Equal(t, user, e.get("attendee", r.ID).Fields.Ref("who"))
	got := e.all(crm.Query{Entity: "attendee", Where: crm.Eq("who", user)})
	require.Len(t, got, 1)
	_, err := e.store.Create(e.ctx, crm.Record{Entity: "attendee", Fields: crm.Fields{"who": crm.Ref{Entity: contact, ID: bob}}})
	require.ErrorIs(t, err, crm.ErrValidation, "a registered entity's record is still checked")
}
