package crm

import "context"

// Entity names of the principals that act and own records. Users and teams
// get their own entities when security arrives; owners already name them.
const (
	UserEntity = "systemuser"
	TeamEntity = "team"
)

// SystemUser is the principal that acts when the context names no caller:
// imports, background jobs and tests that do not care who acts.
var SystemUser = Ref{Entity: UserEntity, ID: NilID}

type callerKey struct{}

// WithCaller returns a context in which user acts. Created-by, modified-by
// and the default owner of new records come from it.
func WithCaller(ctx context.Context, user ID) context.Context {
	return context.WithValue(ctx, callerKey{}, user)
}

// CallerFrom returns the user acting in ctx, and false when ctx names none.
func CallerFrom(ctx context.Context) (ID, bool) {
	id, ok := ctx.Value(callerKey{}).(ID)
	return id, ok
}

// Caller returns the user acting in ctx, or the SystemUser's ID when ctx
// names none.
func Caller(ctx context.Context) ID {
	if id, ok := CallerFrom(ctx); ok {
		return id
	}
	return SystemUser.ID
}
