package crm

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Entity names of the principals that act and own records. Users, teams
// and business units get their own entities when security arrives; owners
// and headers already name them.
const (
	UserEntity         = "systemuser"
	TeamEntity         = "team"
	BusinessUnitEntity = "businessunit"
)

// IsPrincipal reports whether entity names a principal (a user, team or
// business unit): a lookup target that needs no registered entity, since
// crmkit keeps no records of principals yet.
func IsPrincipal(entity string) bool {
	return entity == UserEntity || entity == TeamEntity || entity == BusinessUnitEntity
}

// SystemUserID is the ID of the system user: the principal that imports,
// background jobs and tests act as when they say so with AsSystem. It is
// the RFC 9562 Max UUID (all ones), which NewID never returns, so it names
// no stored record and is never mistaken for NilID, "no one".
var SystemUserID = uuid.Max

// SystemUser is the system user as an owner or lookup value.
var SystemUser = Ref{Entity: UserEntity, ID: SystemUserID}

// ErrNoCaller is returned by every write whose context names no caller:
// crmkit never guesses who acts. Name one with WithCaller, WithScope or
// AsSystem. It matches ErrPermissionDenied too.
var ErrNoCaller = fmt.Errorf("%w: the context names no caller (use crm.WithCaller, crm.WithScope or crm.AsSystem)", ErrPermissionDenied)

// A Scope is who acts and from where: the caller, the teams and business
// unit the access checks of a later release will read, the time zone that
// relative date conditions (today, this-month, last-x-days...) follow,
// and optionally the instant they count from. Every read and write of a
// store runs in the Scope of its context (WithScope).
type Scope struct {
	// Caller is the acting user; NilID names no one, and writes refuse
	// it with ErrNoCaller.
	Caller ID
	// Teams are the teams the caller belongs to: the eq-userteams and
	// eq-useroruserteams conditions compare with them.
	Teams []ID
	// BusinessUnit is the caller's business unit: a record created in the
	// scope is owned by it (Header.BusinessUnit), and eq-businessid
	// conditions compare with it. NilID leaves new records with none.
	BusinessUnit ID
	// Location is the caller's time zone: relative date conditions on
	// date-and-time fields count days, months and years in it. nil is
	// UTC. Date-only fields hold calendar dates and are never converted;
	// only "today" is the caller's today.
	Location *time.Location
	// Now, when not zero, is the instant relative date conditions count
	// from ("as of"); zero means the store's time. It never changes the
	// timestamps a write records: those come from the store's Clock.
	Now time.Time
}

// Loc returns the scope's time zone: Location, or UTC when it is nil.
func (s Scope) Loc() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

// Validate reports a scope no store can act in: one naming no caller.
func (s Scope) Validate() error {
	if s.Caller == NilID {
		return ErrNoCaller
	}
	return nil
}

type scopeKey struct{}

// WithScope returns a context in which s applies. The scope is copied:
// changing s.Teams afterwards changes nothing.
func WithScope(ctx context.Context, s Scope) context.Context {
	s.Teams = slices.Clone(s.Teams)
	return context.WithValue(ctx, scopeKey{}, s)
}

// ScopeFrom returns the scope of ctx, and false when ctx has none. The
// zero Scope it returns then names no caller and reads in UTC.
func ScopeFrom(ctx context.Context) (Scope, bool) {
	s, ok := ctx.Value(scopeKey{}).(Scope)
	if ok {
		s.Teams = slices.Clone(s.Teams)
	}
	return s, ok
}

// WithCaller returns a context in which user acts, the rest of the scope
// of ctx (time zone, business unit...) unchanged; teams are dropped, as
// they were the previous caller's. Created-by, modified-by and the default
// owner of new records come from it.
func WithCaller(ctx context.Context, user ID) context.Context {
	s, _ := ScopeFrom(ctx)
	s.Caller, s.Teams = user, nil
	return WithScope(ctx, s)
}

// AsSystem returns a context in which the system user (SystemUserID) acts:
// the explicit choice for imports, jobs and tests that do not care who
// acts.
func AsSystem(ctx context.Context) context.Context { return WithCaller(ctx, SystemUserID) }

// CallerFrom returns the user acting in ctx, and false when ctx names none.
func CallerFrom(ctx context.Context) (ID, bool) {
	s, _ := ctx.Value(scopeKey{}).(Scope) // no copy of the teams
	return s.Caller, s.Caller != NilID
}

// Caller returns the user acting in ctx, or NilID when ctx names none. A
// missing caller never silently becomes the system user.
func Caller(ctx context.Context) ID {
	id, _ := CallerFrom(ctx)
	return id
}
