package sales

import "github.com/crmkit/crmkit/crm"

// The typed option sets of accounts and contacts. Each is a struct with an
// unexported value, so a caller cannot forge one: the only values are the
// published variables, the zero value, and what the Of and Parse functions
// accept. Each value's number (Value) is Dynamics' option value and never
// changes once published; new values go at the end.

// CustomerType is an account's relationship type (customertypecode).
// The zero value is no value (null).
type CustomerType struct{ v int32 }

// CustomerType values, with their published numbers.
var (
	CustomerTypeCompetitor = CustomerType{1}  // 1 Competitor
	CustomerTypeConsultant = CustomerType{2}  // 2 Consultant
	CustomerTypeCustomer   = CustomerType{3}  // 3 Customer
	CustomerTypeInvestor   = CustomerType{4}  // 4 Investor
	CustomerTypePartner    = CustomerType{5}  // 5 Partner
	CustomerTypeInfluencer = CustomerType{6}  // 6 Influencer
	CustomerTypePress      = CustomerType{7}  // 7 Press
	CustomerTypeProspect   = CustomerType{8}  // 8 Prospect
	CustomerTypeReseller   = CustomerType{9}  // 9 Reseller
	CustomerTypeSupplier   = CustomerType{10} // 10 Supplier
	CustomerTypeVendor     = CustomerType{11} // 11 Vendor
	CustomerTypeOther      = CustomerType{12} // 12 Other
)

var customerTypes = optionSet{name: "customer type", options: []crm.Option{
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
}}

// CustomerTypeOf returns the customer type with the published number v,
// or an error matching crm.ErrNotFound.
func CustomerTypeOf(v int32) (CustomerType, error) {
	if err := customerTypes.check(v); err != nil {
		return CustomerType{}, err
	}
	return CustomerType{v}, nil
}

// ParseCustomerType returns the customer type with the given label (any case)
// or number, or an error matching crm.ErrNotFound.
func ParseCustomerType(s string) (CustomerType, error) {
	v, err := customerTypes.parse(s)
	return CustomerType{v}, err
}

// CustomerTypeValues returns every customer type, in published order.
func CustomerTypeValues() []CustomerType {
	out := make([]CustomerType, len(customerTypes.options))
	for i, o := range customerTypes.options {
		out[i] = CustomerType{o.Value}
	}
	return out
}

// Value returns the published number.
func (x CustomerType) Value() int32 { return x.v }

// IsZero reports whether x is no value.
func (x CustomerType) IsZero() bool { return x.v == 0 }

// String returns the label ("" for no value).
func (x CustomerType) String() string { return customerTypes.label(x.v) }

// MarshalText encodes x as its label.
func (x CustomerType) MarshalText() ([]byte, error) { return []byte(x.String()), nil }

// UnmarshalText decodes a label or a number.
func (x *CustomerType) UnmarshalText(b []byte) error {
	v, err := ParseCustomerType(string(b))
	if err != nil {
		return err
	}
	*x = v
	return nil
}

// Industry is an account's industry (industrycode).
// The zero value is no value (null).
type Industry struct{ v int32 }

// Industry values, with their published numbers.
var (
	IndustryAccounting               = Industry{1}  // 1 Accounting
	IndustryAgriculture              = Industry{2}  // 2 Agriculture and Non-petrol Natural Resource Extraction
	IndustryBroadcasting             = Industry{3}  // 3 Broadcasting Printing and Publishing
	IndustryBrokers                  = Industry{4}  // 4 Brokers
	IndustryBuildingSupplyRetail     = Industry{5}  // 5 Building Supply Retail
	IndustryBusinessServices         = Industry{6}  // 6 Business Services
	IndustryConsulting               = Industry{7}  // 7 Consulting
	IndustryConsumerServices         = Industry{8}  // 8 Consumer Services
	IndustryDesign                   = Industry{9}  // 9 Design, Direction and Creative Management
	IndustryDistributors             = Industry{10} // 10 Distributors, Dispatchers and Processors
	IndustryDoctorsOffices           = Industry{11} // 11 Doctor's Offices and Clinics
	IndustryDurableManufacturing     = Industry{12} // 12 Durable Manufacturing
	IndustryEatingAndDrinking        = Industry{13} // 13 Eating and Drinking Places
	IndustryEntertainmentRetail      = Industry{14} // 14 Entertainment Retail
	IndustryEquipmentRental          = Industry{15} // 15 Equipment Rental and Leasing
	IndustryFinancial                = Industry{16} // 16 Financial
	IndustryFoodAndTobacco           = Industry{17} // 17 Food and Tobacco Processing
	IndustryInboundCapitalIntensive  = Industry{18} // 18 Inbound Capital Intensive Processing
	IndustryInboundRepair            = Industry{19} // 19 Inbound Repair and Services
	IndustryInsurance                = Industry{20} // 20 Insurance
	IndustryLegalServices            = Industry{21} // 21 Legal Services
	IndustryNonDurableRetail         = Industry{22} // 22 Non-Durable Merchandise Retail
	IndustryOutboundConsumerServices = Industry{23} // 23 Outbound Consumer Services
	IndustryPetrochemical            = Industry{24} // 24 Petrochemical Extraction and Distribution
	IndustryServiceRetail            = Industry{25} // 25 Service Retail
	IndustrySIGAffiliations          = Industry{26} // 26 SIG Affiliations
	IndustrySocialServices           = Industry{27} // 27 Social Services
	IndustrySpecialOutboundTrade     = Industry{28} // 28 Special Outbound Trade Contractors
	IndustrySpecialtyRealty          = Industry{29} // 29 Specialty Realty
	IndustryTransportation           = Industry{30} // 30 Transportation
	IndustryUtility                  = Industry{31} // 31 Utility Creation and Distribution
	IndustryVehicleRetail            = Industry{32} // 32 Vehicle Retail
	IndustryWholesale                = Industry{33} // 33 Wholesale
)

var industries = optionSet{name: "industry", options: []crm.Option{
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
}}

// IndustryOf returns the industry with the published number v,
// or an error matching crm.ErrNotFound.
func IndustryOf(v int32) (Industry, error) {
	if err := industries.check(v); err != nil {
		return Industry{}, err
	}
	return Industry{v}, nil
}

// ParseIndustry returns the industry with the given label (any case)
// or number, or an error matching crm.ErrNotFound.
func ParseIndustry(s string) (Industry, error) {
	v, err := industries.parse(s)
	return Industry{v}, err
}

// IndustryValues returns every industry, in published order.
func IndustryValues() []Industry {
	out := make([]Industry, len(industries.options))
	for i, o := range industries.options {
		out[i] = Industry{o.Value}
	}
	return out
}

// Value returns the published number.
func (x Industry) Value() int32 { return x.v }

// IsZero reports whether x is no value.
func (x Industry) IsZero() bool { return x.v == 0 }

// String returns the label ("" for no value).
func (x Industry) String() string { return industries.label(x.v) }

// MarshalText encodes x as its label.
func (x Industry) MarshalText() ([]byte, error) { return []byte(x.String()), nil }

// UnmarshalText decodes a label or a number.
func (x *Industry) UnmarshalText(b []byte) error {
	v, err := ParseIndustry(string(b))
	if err != nil {
		return err
	}
	*x = v
	return nil
}

// Ownership is an account's ownership (ownershipcode).
// The zero value is no value (null).
type Ownership struct{ v int32 }

// Ownership values, with their published numbers.
var (
	OwnershipPublic     = Ownership{1} // 1 Public
	OwnershipPrivate    = Ownership{2} // 2 Private
	OwnershipSubsidiary = Ownership{3} // 3 Subsidiary
	OwnershipOther      = Ownership{4} // 4 Other
)

var ownerships = optionSet{name: "ownership", options: []crm.Option{
	{Value: 1, Label: "Public"},
	{Value: 2, Label: "Private"},
	{Value: 3, Label: "Subsidiary"},
	{Value: 4, Label: "Other"},
}}

// OwnershipOf returns the ownership with the published number v,
// or an error matching crm.ErrNotFound.
func OwnershipOf(v int32) (Ownership, error) {
	if err := ownerships.check(v); err != nil {
		return Ownership{}, err
	}
	return Ownership{v}, nil
}

// ParseOwnership returns the ownership with the given label (any case)
// or number, or an error matching crm.ErrNotFound.
func ParseOwnership(s string) (Ownership, error) {
	v, err := ownerships.parse(s)
	return Ownership{v}, err
}

// OwnershipValues returns every ownership, in published order.
func OwnershipValues() []Ownership {
	out := make([]Ownership, len(ownerships.options))
	for i, o := range ownerships.options {
		out[i] = Ownership{o.Value}
	}
	return out
}

// Value returns the published number.
func (x Ownership) Value() int32 { return x.v }

// IsZero reports whether x is no value.
func (x Ownership) IsZero() bool { return x.v == 0 }

// String returns the label ("" for no value).
func (x Ownership) String() string { return ownerships.label(x.v) }

// MarshalText encodes x as its label.
func (x Ownership) MarshalText() ([]byte, error) { return []byte(x.String()), nil }

// UnmarshalText decodes a label or a number.
func (x *Ownership) UnmarshalText(b []byte) error {
	v, err := ParseOwnership(string(b))
	if err != nil {
		return err
	}
	*x = v
	return nil
}

// AccountState is an account's state (statecode).
// The zero value is AccountStateActive.
type AccountState struct{ v int32 }

// AccountState values, with their published numbers.
var (
	AccountStateActive   = AccountState{0} // 0 Active
	AccountStateInactive = AccountState{1} // 1 Inactive
)

var accountStates = optionSet{required: true, name: "account state", options: []crm.Option{
	{Value: 0, Label: "Active"},
	{Value: 1, Label: "Inactive"},
}}

// AccountStateOf returns the account state with the published number v,
// or an error matching crm.ErrNotFound.
func AccountStateOf(v int32) (AccountState, error) {
	if err := accountStates.check(v); err != nil {
		return AccountState{}, err
	}
	return AccountState{v}, nil
}

// ParseAccountState returns the account state with the given label (any case)
// or number, or an error matching crm.ErrNotFound.
func ParseAccountState(s string) (AccountState, error) {
	v, err := accountStates.parse(s)
	return AccountState{v}, err
}

// AccountStateValues returns every account state, in published order.
func AccountStateValues() []AccountState {
	out := make([]AccountState, len(accountStates.options))
	for i, o := range accountStates.options {
		out[i] = AccountState{o.Value}
	}
	return out
}

// Value returns the published number.
func (x AccountState) Value() int32 { return x.v }

// String returns the label ("" for no value).
func (x AccountState) String() string { return accountStates.label(x.v) }

// MarshalText encodes x as its label.
func (x AccountState) MarshalText() ([]byte, error) { return []byte(x.String()), nil }

// UnmarshalText decodes a label or a number.
func (x *AccountState) UnmarshalText(b []byte) error {
	v, err := ParseAccountState(string(b))
	if err != nil {
		return err
	}
	*x = v
	return nil
}

// AccountStatus is an account's status reason (statuscode).
// The zero value is none: every stored record has a status reason.
type AccountStatus struct{ v int32 }

// AccountStatus values, with their published numbers.
var (
	AccountStatusActive   = AccountStatus{1} // 1 Active
	AccountStatusInactive = AccountStatus{2} // 2 Inactive
)

var accountStatuses = optionSet{name: "account status reason", options: []crm.Option{
	{Value: 1, Label: "Active"},
	{Value: 2, Label: "Inactive"},
}}

// AccountStatusOf returns the account status reason with the published number v,
// or an error matching crm.ErrNotFound.
func AccountStatusOf(v int32) (AccountStatus, error) {
	if err := accountStatuses.check(v); err != nil {
		return AccountStatus{}, err
	}
	return AccountStatus{v}, nil
}

// ParseAccountStatus returns the account status reason with the given label (any case)
// or number, or an error matching crm.ErrNotFound.
func ParseAccountStatus(s string) (AccountStatus, error) {
	v, err := accountStatuses.parse(s)
	return AccountStatus{v}, err
}

// AccountStatusValues returns every account status reason, in published order.
func AccountStatusValues() []AccountStatus {
	out := make([]AccountStatus, len(accountStatuses.options))
	for i, o := range accountStatuses.options {
		out[i] = AccountStatus{o.Value}
	}
	return out
}

// Value returns the published number.
func (x AccountStatus) Value() int32 { return x.v }

// IsZero reports whether x is no value.
func (x AccountStatus) IsZero() bool { return x.v == 0 }

// String returns the label ("" for no value).
func (x AccountStatus) String() string { return accountStatuses.label(x.v) }

// MarshalText encodes x as its label.
func (x AccountStatus) MarshalText() ([]byte, error) { return []byte(x.String()), nil }

// UnmarshalText decodes a label or a number.
func (x *AccountStatus) UnmarshalText(b []byte) error {
	v, err := ParseAccountStatus(string(b))
	if err != nil {
		return err
	}
	*x = v
	return nil
}

// ContactState is a contact's state (statecode).
// The zero value is ContactStateActive.
type ContactState struct{ v int32 }

// ContactState values, with their published numbers.
var (
	ContactStateActive   = ContactState{0} // 0 Active
	ContactStateInactive = ContactState{1} // 1 Inactive
)

var contactStates = optionSet{required: true, name: "contact state", options: []crm.Option{
	{Value: 0, Label: "Active"},
	{Value: 1, Label: "Inactive"},
}}

// ContactStateOf returns the contact state with the published number v,
// or an error matching crm.ErrNotFound.
func ContactStateOf(v int32) (ContactState, error) {
	if err := contactStates.check(v); err != nil {
		return ContactState{}, err
	}
	return ContactState{v}, nil
}

// ParseContactState returns the contact state with the given label (any case)
// or number, or an error matching crm.ErrNotFound.
func ParseContactState(s string) (ContactState, error) {
	v, err := contactStates.parse(s)
	return ContactState{v}, err
}

// ContactStateValues returns every contact state, in published order.
func ContactStateValues() []ContactState {
	out := make([]ContactState, len(contactStates.options))
	for i, o := range contactStates.options {
		out[i] = ContactState{o.Value}
	}
	return out
}

// Value returns the published number.
func (x ContactState) Value() int32 { return x.v }

// String returns the label ("" for no value).
func (x ContactState) String() string { return contactStates.label(x.v) }

// MarshalText encodes x as its label.
func (x ContactState) MarshalText() ([]byte, error) { return []byte(x.String()), nil }

// UnmarshalText decodes a label or a number.
func (x *ContactState) UnmarshalText(b []byte) error {
	v, err := ParseContactState(string(b))
	if err != nil {
		return err
	}
	*x = v
	return nil
}

// ContactStatus is a contact's status reason (statuscode).
// The zero value is none: every stored record has a status reason.
type ContactStatus struct{ v int32 }

// ContactStatus values, with their published numbers.
var (
	ContactStatusActive   = ContactStatus{1} // 1 Active
	ContactStatusInactive = ContactStatus{2} // 2 Inactive
)

var contactStatuses = optionSet{name: "contact status reason", options: []crm.Option{
	{Value: 1, Label: "Active"},
	{Value: 2, Label: "Inactive"},
}}

// ContactStatusOf returns the contact status reason with the published number v,
// or an error matching crm.ErrNotFound.
func ContactStatusOf(v int32) (ContactStatus, error) {
	if err := contactStatuses.check(v); err != nil {
		return ContactStatus{}, err
	}
	return ContactStatus{v}, nil
}

// ParseContactStatus returns the contact status reason with the given label (any case)
// or number, or an error matching crm.ErrNotFound.
func ParseContactStatus(s string) (ContactStatus, error) {
	v, err := contactStatuses.parse(s)
	return ContactStatus{v}, err
}

// ContactStatusValues returns every contact status reason, in published order.
func ContactStatusValues() []ContactStatus {
	out := make([]ContactStatus, len(contactStatuses.options))
	for i, o := range contactStatuses.options {
		out[i] = ContactStatus{o.Value}
	}
	return out
}

// Value returns the published number.
func (x ContactStatus) Value() int32 { return x.v }

// IsZero reports whether x is no value.
func (x ContactStatus) IsZero() bool { return x.v == 0 }

// String returns the label ("" for no value).
func (x ContactStatus) String() string { return contactStatuses.label(x.v) }

// MarshalText encodes x as its label.
func (x ContactStatus) MarshalText() ([]byte, error) { return []byte(x.String()), nil }

// UnmarshalText decodes a label or a number.
func (x *ContactStatus) UnmarshalText(b []byte) error {
	v, err := ParseContactStatus(string(b))
	if err != nil {
		return err
	}
	*x = v
	return nil
}
