package crm_test

import "github.com/crmkit/crmkit/internal/crmtest"

// The shared fixtures (internal/crmtest) under the names these tests use.
const (
	stateActive   = crmtest.StateActive
	stateInactive = crmtest.StateInactive
	statusActive  = crmtest.StatusActive
	statusOnHold  = crmtest.StatusOnHold
	statusClosed  = crmtest.StatusClosed
)

var (
	accountLifecycle = crmtest.AccountLifecycle
	dec              = crmtest.Dec
	decPtr           = crmtest.DecPtr
	testRegistry     = crmtest.Registry
	fullName         = crmtest.FullName
	entity           = crmtest.Entity
	validationFields = crmtest.ValidationFields
	date             = crmtest.Date
	limitsRegistry   = crmtest.LimitsRegistry
)
