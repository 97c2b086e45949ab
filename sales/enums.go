package sales

import "github.com/crmkit/crmkit/crm"

//go:generate go run ./internal/enumgen

// The typed option sets, states and status reasons of accounts and
// contacts. Each is an int32 whose value is Dynamics' published number,
// which never changes once published: new values go at the end. Each type
// offers String, MarshalText and UnmarshalText (the label), Parse (a label
// in any case, or a number) and Valid, all read from one table per type,
// its option set: the metadata's choice field is built from those options
// (a state's and a status reason's are the lifecycle's). The methods are
// generated (enums_gen.go): declare the type, its constants and its
// option set here and run go generate.
//
// A conversion such as Industry(99) makes a value no table knows. Valid
// reports it, String prints its number, and the store refuses to write it:
// a choice value that is not one of the field's options fails validation.

// CustomerType is an account's relationship type (customertypecode).
// The zero value is no value (null).
type CustomerType int32

// CustomerType values, with their published numbers.
const (
	CustomerTypeCompetitor CustomerType = 1
	CustomerTypeConsultant CustomerType = 2
	CustomerTypeCustomer   CustomerType = 3
	CustomerTypeInvestor   CustomerType = 4
	CustomerTypePartner    CustomerType = 5
	CustomerTypeInfluencer CustomerType = 6
	CustomerTypePress      CustomerType = 7
	CustomerTypeProspect   CustomerType = 8
	CustomerTypeReseller   CustomerType = 9
	CustomerTypeSupplier   CustomerType = 10
	CustomerTypeVendor     CustomerType = 11
	CustomerTypeOther      CustomerType = 12
)

var customerTypes = newOptionSet[CustomerType]("customer type", AccountCustomerType, []crm.Option{
	{Value: 1, Label: "Competitor"},
	{Value: 2, Label: "Consultant"},
	{Value: 3, Label: "Customer"},
	{Value: 4, Label: "Investor"},
	{Value: 5, Label: "Partner"},
	{Value: 6, Label: "Influencer"},
	{Value: 7, Label: "Press"},
	{Value: 8, Label: "Prospect"},
	{Value: 9, Label: "Reseller"},
	{Value: 10, Label: "Supplier"},
	{Value: 11, Label: "Vendor"},
	{Value: 12, Label: "Other"},
})

// Industry is an account's industry (industrycode).
// The zero value is no value (null).
type Industry int32

// Industry values, with their published numbers. Where a name shortens
// the label, String gives the label in full.
const (
	IndustryAccounting               Industry = 1
	IndustryAgriculture              Industry = 2
	IndustryBroadcasting             Industry = 3
	IndustryBrokers                  Industry = 4
	IndustryBuildingSupplyRetail     Industry = 5
	IndustryBusinessServices         Industry = 6
	IndustryConsulting               Industry = 7
	IndustryConsumerServices         Industry = 8
	IndustryDesign                   Industry = 9
	IndustryDistributors             Industry = 10
	IndustryDoctorsOffices           Industry = 11
	IndustryDurableManufacturing     Industry = 12
	IndustryEatingAndDrinking        Industry = 13
	IndustryEntertainmentRetail      Industry = 14
	IndustryEquipmentRental          Industry = 15
	IndustryFinancial                Industry = 16
	IndustryFoodAndTobacco           Industry = 17
	IndustryInboundCapitalIntensive  Industry = 18
	IndustryInboundRepair            Industry = 19
	IndustryInsurance                Industry = 20
	IndustryLegalServices            Industry = 21
	IndustryNonDurableRetail         Industry = 22
	IndustryOutboundConsumerServices Industry = 23
	IndustryPetrochemical            Industry = 24
	IndustryServiceRetail            Industry = 25
	IndustrySIGAffiliations          Industry = 26
	IndustrySocialServices           Industry = 27
	IndustrySpecialOutboundTrade     Industry = 28
	IndustrySpecialtyRealty          Industry = 29
	IndustryTransportation           Industry = 30
	IndustryUtility                  Industry = 31
	IndustryVehicleRetail            Industry = 32
	IndustryWholesale                Industry = 33
)

var industries = newOptionSet[Industry]("industry", AccountIndustry, []crm.Option{
	{Value: 1, Label: "Accounting"},
	{Value: 2, Label: "Agriculture and Non-petrol Natural Resource Extraction"},
	{Value: 3, Label: "Broadcasting Printing and Publishing"},
	{Value: 4, Label: "Brokers"},
	{Value: 5, Label: "Building Supply Retail"},
	{Value: 6, Label: "Business Services"},
	{Value: 7, Label: "Consulting"},
	{Value: 8, Label: "Consumer Services"},
	{Value: 9, Label: "Design, Direction and Creative Management"},
	{Value: 10, Label: "Distributors, Dispatchers and Processors"},
	{Value: 11, Label: "Doctor's Offices and Clinics"},
	{Value: 12, Label: "Durable Manufacturing"},
	{Value: 13, Label: "Eating and Drinking Places"},
	{Value: 14, Label: "Entertainment Retail"},
	{Value: 15, Label: "Equipment Rental and Leasing"},
	{Value: 16, Label: "Financial"},
	{Value: 17, Label: "Food and Tobacco Processing"},
	{Value: 18, Label: "Inbound Capital Intensive Processing"},
	{Value: 19, Label: "Inbound Repair and Services"},
	{Value: 20, Label: "Insurance"},
	{Value: 21, Label: "Legal Services"},
	{Value: 22, Label: "Non-Durable Merchandise Retail"},
	{Value: 23, Label: "Outbound Consumer Services"},
	{Value: 24, Label: "Petrochemical Extraction and Distribution"},
	{Value: 25, Label: "Service Retail"},
	{Value: 26, Label: "SIG Affiliations"},
	{Value: 27, Label: "Social Services"},
	{Value: 28, Label: "Special Outbound Trade Contractors"},
	{Value: 29, Label: "Specialty Realty"},
	{Value: 30, Label: "Transportation"},
	{Value: 31, Label: "Utility Creation and Distribution"},
	{Value: 32, Label: "Vehicle Retail"},
	{Value: 33, Label: "Wholesale"},
})

// Ownership is an account's ownership (ownershipcode).
// The zero value is no value (null).
type Ownership int32

// Ownership values, with their published numbers.
const (
	OwnershipPublic     Ownership = 1
	OwnershipPrivate    Ownership = 2
	OwnershipSubsidiary Ownership = 3
	OwnershipOther      Ownership = 4
)

var ownerships = newOptionSet[Ownership]("ownership", AccountOwnership, []crm.Option{
	{Value: 1, Label: "Public"},
	{Value: 2, Label: "Private"},
	{Value: 3, Label: "Subsidiary"},
	{Value: 4, Label: "Other"},
})

// AccountState is an account's state (statecode). A state is never null:
// the zero value is AccountStateActive, the state every account starts in.
type AccountState int32

// AccountState values, with their published numbers.
const (
	AccountStateActive   AccountState = 0
	AccountStateInactive AccountState = 1
)

var accountStates = stateSet[AccountState]("account state", AccountLifecycle())

// AccountStatus is an account's status reason (statuscode). The zero value
// is none: every stored account has a status reason.
type AccountStatus int32

// AccountStatus values, with their published numbers.
const (
	AccountStatusActive   AccountStatus = 1
	AccountStatusInactive AccountStatus = 2
)

var accountStatuses = newOptionSet[AccountStatus]("account status reason", crm.FieldStatus, statusOptions(AccountLifecycle()))

// ContactState is a contact's state (statecode). A state is never null:
// the zero value is ContactStateActive, the state every contact starts in.
type ContactState int32

// ContactState values, with their published numbers.
const (
	ContactStateActive   ContactState = 0
	ContactStateInactive ContactState = 1
)

var contactStates = stateSet[ContactState]("contact state", ContactLifecycle())

// ContactStatus is a contact's status reason (statuscode). The zero value
// is none: every stored contact has a status reason.
type ContactStatus int32

// ContactStatus values, with their published numbers.
const (
	ContactStatusActive   ContactStatus = 1
	ContactStatusInactive ContactStatus = 2
)

var contactStatuses = newOptionSet[ContactStatus]("contact status reason", crm.FieldStatus, statusOptions(ContactLifecycle()))
