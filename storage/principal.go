package storage

import "github.com/crmkit/crmkit/crm"

// principal reports whether entity names a principal (a user, team or
// business unit): a valid lookup target that needs no registered entity,
// as an owner is. crmkit keeps no records of principals yet, so a lookup
// to one the registry does not declare (an activity party that is a
// user) is taken as it is, unchecked, as the owner is; a host that
// registers the entity gets its records checked like any other.
func principal(entity string) bool {
	return entity == crm.UserEntity || entity == crm.TeamEntity || entity == crm.BusinessUnitEntity
}
