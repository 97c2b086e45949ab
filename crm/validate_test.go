package crm_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/crmkit/crmkit/crm"
)

func TestCheckCreateFieldRules(t *testing.T) {
	reg := testRegistry(t)
	account := entity(t, reg, "account")
	contact := entity(t, reg, "contact")
	someID := crm.NewID()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600)
	}

	tests := []struct {
		name   string
		entity *crm.Entity
		field  string
		value  any
		want   any    // canonical value stored, when valid
		reason string // part of the reason, when invalid
	}{
		{"text at the maximum length is kept", account, "name", "0123456789", "0123456789", ""},
		{"text over the maximum length is refused", account, "name", "01234567890", nil, "11 characters, longer than the maximum 10"},
		{"max length counts characters not bytes", account, "name", "ÉÉÉÉÉÉÉÉÉÉ", "ÉÉÉÉÉÉÉÉÉÉ", ""},
		{"max length counts characters beyond it", account, "name", "ÉÉÉÉÉÉÉÉÉÉÉ", nil, "11 characters"},
		{"default max length is 100", account, "accountnumber", strings.Repeat("x", 101), nil, "longer than the maximum 100"},
		{"text must be valid UTF-8", account, "name", "a\xffb", nil, "not valid UTF-8"},
		{"text wants a string", account, "name", 12, nil, "wants a text value, got int"},
		{"integer accepts int", account, "employees", 12, int64(12), ""},
		{"integer accepts int32", account, "employees", int32(12), int64(12), ""},
		{"integer below its minimum is refused", account, "employees", -1, nil, "outside 0..1000"},
		{"integer above its maximum is refused", account, "employees", 1001, nil, "outside 0..1000"},
		{"integer defaults to the int32 range", account, "population", int64(1) << 31, nil, "outside -2147483648..2147483647"},
		{"integer at the int32 maximum is kept", account, "population", int64(1)<<31 - 1, int64(1)<<31 - 1, ""},
		{"integer wants a whole number", account, "employees", 1.5, nil, "wants a integer value, got float64"},
		{"decimal is padded to its precision", account, "score", dec("1.5"), dec("1.50"), ""},
		{"decimal trailing zeros are not places", account, "score", dec("1.5000"), dec("1.50"), ""},
		{"decimal with too many places is refused", account, "score", dec("1.505"), nil, "3 decimal places, more than the 2 allowed"},
		{"decimal outside its range is refused", account, "score", dec("10.01"), nil, "outside -10..10"},
		{"decimal defaults to ±100 billion", account, "ratio", dec("100000000000.0001"), nil, "outside -100000000000..100000000000"},
		{"decimal wants a decimal", account, "score", 1.5, nil, "got float64"},
		{"money is padded to its currency", account, "revenue", crm.MustMoney("10 USD"), crm.MustMoney("10.00 USD"), ""},
		{"money with more places than its currency is refused", account, "revenue", crm.MustMoney("10.001 USD"), nil, "3 decimal places, more than USD's 2"},
		{"money in yen has no places", account, "revenue", crm.MustMoney("10.5 JPY"), nil, "more than JPY's 0"},
		{"money in dinars has three places", account, "revenue", crm.MustMoney("10.125 BHD"), crm.MustMoney("10.125 BHD"), ""},
		{"money in an unknown currency is refused", account, "revenue", crm.Money{Amount: dec("1"), Currency: "XXX"}, nil, `currency "XXX" is not known`},
		{"money over the Dynamics maximum is refused", account, "revenue", crm.MustMoney("922337203685478 USD"), nil, "outside"},
		{"money wants a Money", account, "revenue", dec("1"), nil, "got decimal.Decimal"},
		{"bool", account, "creditonhold", true, true, ""},
		{"bool wants a bool", account, "creditonhold", "yes", nil, "got string"},
		{"choice keeps a declared option", account, "industry", 2, int32(2), ""},
		{"choice refuses an undeclared option", account, "industry", 3, nil, "value 3 is not one of its options"},
		{"choice refuses a value beyond int32", account, "industry", int64(1) << 40, nil, "is not an option"},
		{"date-only keeps the calendar date at midnight UTC", account, "openedon", time.Date(2024, 2, 29, 23, 30, 0, 0, time.UTC), date(2024, 2, 29), ""},
		{"date-only keeps the date the caller's zone shows", account, "openedon", time.Date(2024, 2, 29, 22, 0, 0, 0, ny), date(2024, 2, 29), ""},
		{"time is kept in UTC to the microsecond", account, "lastcontacted", time.Date(2024, 3, 1, 7, 0, 0, 123456789, ny), time.Date(2024, 3, 1, 12, 0, 0, 123456000, time.UTC), ""},
		{"time before 1753 is refused", account, "lastcontacted", time.Date(1752, 12, 31, 0, 0, 0, 0, time.UTC), nil, "before 1753-01-01"},
		{"time wants a time.Time", account, "lastcontacted", "2024-01-01", nil, "got string"},
		{"lookup takes an ID for a single target", account, "primarycontactid", someID, crm.Ref{Entity: "contact", ID: someID}, ""},
		{"lookup fills the entity of a Ref for a single target", account, "primarycontactid", crm.Ref{ID: someID}, crm.Ref{Entity: "contact", ID: someID}, ""},
		{"lookup refuses a Ref to another entity", account, "primarycontactid", crm.Ref{Entity: "account", ID: someID}, nil, `cannot point at a "account" record`},
		{"lookup refuses the nil ID", account, "primarycontactid", crm.NilID, nil, "points at no record"},
		{"polymorphic lookup wants a Ref", contact, "parentcustomerid", someID, nil, "give a Ref naming one"},
		{"polymorphic lookup takes a Ref to any target", contact, "parentcustomerid", crm.Ref{Entity: "contact", ID: someID}, crm.Ref{Entity: "contact", ID: someID}, ""},
		{"polymorphic lookup refuses a Ref without entity", contact, "parentcustomerid", crm.Ref{ID: someID}, nil, "cannot point at a \"\" record"},
		{"lookup wants an ID or a Ref", account, "primarycontactid", someID.String(), nil, "got string"},
		{"unknown fields are refused", account, "nickname", "x", nil, "is not a field of account"},
		{"system fields cannot be set", account, crm.FieldCreatedOn, time.Now(), nil, "kept by the platform"},
		{"computed fields cannot be set", contact, "fullname", "Ann Smith", nil, "computed from other fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := crm.Fields{tt.field: tt.value}
			if tt.entity == account && tt.field != "name" {
				in["name"] = "Contoso"
			}
			if tt.entity == contact && tt.field != "lastname" {
				in["lastname"] = "Smith"
			}
			out, err := tt.entity.CheckCreate(in)
			if tt.reason != "" {
				bad := validationFields(t, err)
				require.Contains(t, bad, tt.field)
				require.Contains(t, bad[tt.field], tt.reason)
				require.Len(t, bad, 1, "only the bad field is reported: %v", bad)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, out[tt.field])
		})
	}
}

func TestCheckCreate(t *testing.T) {
	reg := testRegistry(t)
	account := entity(t, reg, "account")

	t.Run("required fields must have a value", func(t *testing.T) {
		bad := validationFields(t, func() error { _, err := account.CheckCreate(crm.Fields{}); return err }())
		require.Equal(t, map[string]string{"name": "is required"}, bad)
	})
	t.Run("nil is no value", func(t *testing.T) {
		_, err := account.CheckCreate(crm.Fields{"name": nil})
		require.True(t, validationFields(t, err)["name"] == "is required")
		out, err := account.CheckCreate(crm.Fields{"name": "Contoso", "revenue": nil})
		require.NoError(t, err)
		require.NotContains(t, out, "revenue", "a nil input is not stored")
	})
	t.Run("a required field that is bad is reported once", func(t *testing.T) {
		_, err := account.CheckCreate(crm.Fields{"name": 1})
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.Len(t, verr.Fields, 1)
		require.Contains(t, verr.Fields[0].Reason, "wants a text value")
	})
	t.Run("every bad field is listed at once", func(t *testing.T) {
		_, err := account.CheckCreate(crm.Fields{
			"employees": -5,
			"industry":  99,
			"revenue":   crm.MustMoney("1.001 USD"),
			"nickname":  "x",
		})
		bad := validationFields(t, err)
		require.Len(t, bad, 5)
		for _, f := range []string{"employees", "industry", "revenue", "nickname", "name"} {
			require.Contains(t, bad, f)
		}
		var verr *crm.ValidationError
		require.ErrorAs(t, err, &verr)
		require.Equal(t, "account", verr.Entity)
		require.True(t, verr.Has("industry"))
		require.False(t, verr.Has("score"))
		require.Equal(t, "name", verr.Fields[len(verr.Fields)-1].Field, "missing required fields come after the bad inputs")
		require.Contains(t, err.Error(), "validation failed: invalid account: ")
	})
	t.Run("input is not changed", func(t *testing.T) {
		in := crm.Fields{"name": "Contoso", "score": dec("1.5")}
		out, err := account.CheckCreate(in)
		require.NoError(t, err)
		require.Equal(t, "1.5", in["score"].(interface{ String() string }).String())
		require.Equal(t, "1.50", out.Decimal("score").StringFixed(2))
	})
}

func TestCheckUpdate(t *testing.T) {
	reg := testRegistry(t)
	account := entity(t, reg, "account")
	contact := entity(t, reg, "contact")

	t.Run("only the changed fields are checked", func(t *testing.T) {
		out, err := account.CheckUpdate(crm.Fields{"employees": 10})
		require.NoError(t, err)
		require.Equal(t, crm.Fields{"employees": int64(10)}, out)
	})
	t.Run("nil clears an optional field", func(t *testing.T) {
		out, err := account.CheckUpdate(crm.Fields{"revenue": nil})
		require.NoError(t, err)
		require.Contains(t, out, "revenue")
		require.Nil(t, out["revenue"])
	})
	t.Run("a required field cannot be cleared", func(t *testing.T) {
		_, err := account.CheckUpdate(crm.Fields{"name": nil})
		require.Equal(t, "is required and cannot be cleared", validationFields(t, err)["name"])
	})
	t.Run("immutable fields cannot change", func(t *testing.T) {
		_, err := account.CheckUpdate(crm.Fields{"accountnumber": "A-2"})
		require.Contains(t, validationFields(t, err)["accountnumber"], "cannot be changed after the record is created")
		out, err := account.CheckCreate(crm.Fields{"name": "Contoso", "accountnumber": "A-1"})
		require.NoError(t, err, "but they can be set on create")
		require.Equal(t, "A-1", out["accountnumber"])
	})
	t.Run("computed, system and unknown fields are refused", func(t *testing.T) {
		_, err := contact.CheckUpdate(crm.Fields{"fullname": "x", crm.FieldVersion: int64(3), "nickname": "y"})
		bad := validationFields(t, err)
		require.Len(t, bad, 3)
	})
	t.Run("values are checked as on create", func(t *testing.T) {
		_, err := account.CheckUpdate(crm.Fields{"name": "much too long a name", "score": dec("0.001")})
		bad := validationFields(t, err)
		require.Len(t, bad, 2)
	})
}

func TestCompute(t *testing.T) {
	reg := testRegistry(t)
	contact := entity(t, reg, "contact")

	t.Run("computed fields are set from the others", func(t *testing.T) {
		f := crm.Fields{"firstname": "Ann", "lastname": "Smith"}
		require.NoError(t, contact.Compute(f))
		require.Equal(t, "Ann Smith", f["fullname"])
	})
	t.Run("a nil computed value clears the field", func(t *testing.T) {
		f := crm.Fields{"fullname": "stale"}
		require.NoError(t, contact.Compute(f))
		require.NotContains(t, f, "fullname")
	})
	t.Run("a computed value that breaks the field's rules is an error", func(t *testing.T) {
		f := crm.Fields{"firstname": strings.Repeat("a", 20), "lastname": strings.Repeat("b", 20)}
		err := contact.Compute(f)
		require.Contains(t, validationFields(t, err)["fullname"], "computed value is 41 characters")
	})
	t.Run("a computed value of the wrong type is an error", func(t *testing.T) {
		reg := crm.NewRegistry()
		require.NoError(t, reg.Register(&crm.Entity{Name: "thing", Fields: []crm.Field{
			{Name: "n", Type: crm.TypeInteger, Compute: func(crm.Fields) any { return "seven" }},
			{Name: "total", Type: crm.TypeMoney, Compute: func(f crm.Fields) any { return crm.MustMoney("1.005 USD") }},
		}}))
		f := crm.Fields{}
		bad := validationFields(t, entity(t, reg, "thing").Compute(f))
		require.Contains(t, bad["n"], "wants a integer value, got string")
		require.Contains(t, bad["total"], "more than USD's 2")
	})
}

// TestFieldCanonical: a value is made canonical and checked against the
// field's limits in one step, the check CheckCreate and Compute make.
func TestFieldCanonical(t *testing.T) {
	reg := testRegistry(t)
	contact := entity(t, reg, "contact")
	lastname, _ := contact.Field("lastname")
	v, reason := lastname.Canonical("Smith")
	require.Empty(t, reason)
	require.Equal(t, "Smith", v)
	v, reason = lastname.Canonical(strings.Repeat("b", 500))
	require.Nil(t, v, "a value out of the limits is no value")
	require.Contains(t, reason, "characters")
	v, reason = lastname.Canonical(42)
	require.Nil(t, v)
	require.Contains(t, reason, "wants a text value")
	accountid, _ := contact.Field("accountid")
	id := crm.NewID()
	v, reason = accountid.Canonical(id)
	require.Empty(t, reason)
	require.Equal(t, crm.Ref{Entity: "account", ID: id}, v, "a lookup given as an ID is a Ref")
	_, reason = accountid.Canonical(crm.Ref{Entity: "contact", ID: id})
	require.Contains(t, reason, "cannot point at")
}

func TestFieldsAccessors(t *testing.T) {
	id := crm.NewID()
	f := crm.Fields{
		"s": "x", "n": int64(3), "d": dec("1.5"), "m": crm.MustMoney("1 USD"), "b": true,
		"t": date(2024, 1, 1), "c": int32(2), "r": crm.Ref{Entity: "account", ID: id},
	}
	t.Run("typed getters return the value", func(t *testing.T) {
		require.Equal(t, "x", f.String("s"))
		require.Equal(t, int64(3), f.Int("n"))
		require.True(t, f.Decimal("d").Equal(dec("1.5")))
		m, ok := f.Money("m")
		require.True(t, ok)
		require.Equal(t, "1.00 USD", m.String())
		require.True(t, f.Bool("b"))
		require.Equal(t, date(2024, 1, 1), f.Time("t"))
		c, ok := f.Choice("c")
		require.True(t, ok)
		require.Equal(t, int32(2), c)
		require.Equal(t, id, f.Ref("r").ID)
	})
	t.Run("typed getters return zero for null", func(t *testing.T) {
		empty := crm.Fields{}
		require.Empty(t, empty.String("s"))
		_, ok := empty.Money("m")
		require.False(t, ok)
		_, ok = empty.Choice("c")
		require.False(t, ok)
		require.True(t, empty.Ref("r").IsZero())
		require.Equal(t, "<none>", empty.Ref("r").String())
	})
	t.Run("clone shares no map", func(t *testing.T) {
		c := f.Clone()
		c["s"] = "y"
		require.Equal(t, "x", f.String("s"))
		require.Nil(t, crm.Fields(nil).Clone())
		rec := crm.Record{Entity: "account", Fields: f}
		rc := rec.Clone()
		rc.Fields["s"] = "z"
		require.Equal(t, "x", rec.Fields.String("s"))
	})
}

func TestRecordSystemValues(t *testing.T) {
	user := crm.NewID()
	rec := crm.Record{Entity: "account"}
	now := date(2024, 5, 1)
	sets := map[string]any{
		crm.FieldID: crm.NewID(), crm.FieldVersion: int64(4), crm.FieldOwner: crm.Ref{Entity: crm.TeamEntity, ID: user},
		crm.FieldCreatedOn: now, crm.FieldCreatedBy: crm.Ref{Entity: crm.UserEntity, ID: user},
		crm.FieldModifiedOn: now, crm.FieldModifiedBy: crm.Ref{Entity: crm.UserEntity, ID: user},
		crm.FieldState: int32(1), crm.FieldStatus: int32(2),
	}
	for name, v := range sets {
		t.Run("system field "+name+" round trips", func(t *testing.T) {
			require.True(t, rec.SetSystem(name, v))
			require.Equal(t, v, rec.Value(name))
		})
	}
	t.Run("a wrong type or a declared field is refused", func(t *testing.T) {
		require.False(t, rec.SetSystem(crm.FieldVersion, 4))
		require.False(t, rec.SetSystem("name", "x"))
	})
	t.Run("ref points at the record", func(t *testing.T) {
		require.Equal(t, crm.Ref{Entity: "account", ID: rec.ID}, rec.Ref())
	})
}

func TestCaller(t *testing.T) {
	t.Run("no caller is no one, never the system user", func(t *testing.T) {
		_, ok := crm.CallerFrom(t.Context())
		require.False(t, ok)
		require.Equal(t, crm.NilID, crm.Caller(t.Context()))
		require.NotEqual(t, crm.NilID, crm.SystemUserID, "the system user is a named principal")
		require.Equal(t, crm.SystemUserID, crm.Caller(crm.AsSystem(t.Context())))
	})
	t.Run("a scope carries the caller, teams, business unit and zone", func(t *testing.T) {
		user, team, bu := crm.NewID(), crm.NewID(), crm.NewID()
		auckland, err := time.LoadLocation("Pacific/Auckland")
		require.NoError(t, err)
		teams := []crm.ID{team}
		ctx := crm.WithScope(t.Context(), crm.Scope{Caller: user, Teams: teams, BusinessUnit: bu, Location: auckland})
		teams[0] = crm.NilID
		sc, ok := crm.ScopeFrom(ctx)
		require.True(t, ok)
		require.Equal(t, crm.Scope{Caller: user, Teams: []crm.ID{team}, BusinessUnit: bu, Location: auckland}, sc, "the scope is copied in")
		require.Equal(t, user, crm.Caller(ctx))
		require.Equal(t, auckland, sc.Loc())

		other := crm.NewID()
		sc, _ = crm.ScopeFrom(crm.WithCaller(ctx, other))
		require.Equal(t, crm.Scope{Caller: other, BusinessUnit: bu, Location: auckland}, sc, "WithCaller keeps zone and business unit, drops teams")
		require.Equal(t, time.UTC, crm.Scope{}.Loc())
	})
	t.Run("a scope naming no caller does not validate", func(t *testing.T) {
		require.ErrorIs(t, crm.Scope{}.Validate(), crm.ErrNoCaller)
		require.ErrorIs(t, crm.Scope{}.Validate(), crm.ErrPermissionDenied)
		require.NoError(t, crm.Scope{Caller: crm.SystemUserID}.Validate())
	})
	t.Run("the context names the caller", func(t *testing.T) {
		id := crm.NewID()
		require.Equal(t, id, crm.Caller(crm.WithCaller(t.Context(), id)))
	})
}

func TestManualClock(t *testing.T) {
	c := crm.NewManualClock(date(2024, 1, 1))
	c.Advance(90 * time.Minute)
	require.Equal(t, time.Date(2024, 1, 1, 1, 30, 0, 0, time.UTC), c.Now())
	c.Set(date(2025, 1, 1))
	require.Equal(t, date(2025, 1, 1), c.Now())
	require.Equal(t, time.Date(2024, 1, 1, 0, 0, 0, 1000, time.UTC),
		crm.NormalizeTime(time.Date(2024, 1, 1, 0, 0, 0, 1999, time.UTC)), "times truncate to the microsecond")
}

func TestIDs(t *testing.T) {
	a, b := crm.NewID(), crm.NewID()
	require.Equal(t, 7, int(a.Version()), "IDs are UUIDv7")
	require.NotEqual(t, a, b)
	back, err := crm.ParseID(a.String())
	require.NoError(t, err)
	require.Equal(t, a, back)
	_, err = crm.ParseID("not-an-id")
	require.Error(t, err)
}
