package memory_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/crmkit/crmkit/crm"
	"github.com/crmkit/crmkit/storage"
	"github.com/crmkit/crmkit/storage/memory"
	"github.com/crmkit/crmkit/storage/storagetest"
)

// FuzzWrite drives the write path with operations decoded from the fuzz
// input: creates, updates, deletes, state changes and assignments of the
// conformance schema's entities (and unknown ones), with field names valid
// and invalid and values of every Go type. No operation may panic, and one
// that fails must leave the store exactly as it was.
//
// CI runs it briefly:
//
//	go test -run '^$' -fuzz FuzzWrite -fuzztime 15s ./storage/memory/
func FuzzWrite(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x00\x00\x01\x05name\x02\x03Acme"))
	f.Add([]byte("\x00\x01\x02\x08lastname\x02\x03Lee\x10parentcustomerid\x0b\x00"))
	f.Add([]byte("\x00\x02\x01\x07subject\x02\x04Call\x03\x02\x00complete\x03\x02\x01reopen\x04\x02\x00"))
	f.Add([]byte("\x00\x00\x03\x04name\x02\x01A\x06rating\x07\x05\xfe\x08category\x05\x01\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01"))
	f.Add([]byte("\x00\x00\x01\x04name\x02\x01P\x00\x01\x02\x08lastname\x02\x01C\x10parentcustomerid\x0b\x00\x02\x00\x00"))
	f.Add([]byte("\x01\x00\x02\x04name\x02\x00\x04city\x00\x02\x01\x01\x04\x00\xff\x04\x03\x00"))
	// A contact whose post-operation hook fails after it created a task.
	f.Add([]byte{0, 1, 201, 1, 1, 1, 19, 0, 1, 1, 1})
	// A contact, then its delete refused by a pre-operation hook.
	f.Add([]byte{0, 1, 201, 1, 2, 1, 2, 3, 'L', 'e', 'e', 4, 19, 0, 1, 1, 1, 2, 1, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		// A write that never ends (a transaction left holding the
		// writer's lock) is a failure too: crash with every stack.
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				buf := make([]byte, 1<<20)
				panic(fmt.Sprintf("FuzzWrite: an input ran for 20s:\n%s", buf[:runtime.Stack(buf, true)]))
			}
		}()
		reg := storagetest.Schema()
		clock := crm.NewManualClock(time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC))
		store := storage.New(memory.New(), reg, storage.WithClock(clock), storage.WithRetries(0))
		ctx := crm.AsSystem(context.Background())
		fuzzHooks(t, store)
		in := &fuzzInput{data: data}
		var refs []crm.Ref // records created so far (some deleted since)
		for step := 0; step < 24 && in.more(); step++ {
			before := fuzzDump(t, store)
			op := in.byte() % 5
			entity := fuzzEntities[int(in.byte())%len(fuzzEntities)]
			target := in.ref(refs, entity)
			version := int64(in.byte()%4) - 1 // -1: stale on purpose, 0: unchecked
			if version < 0 {
				version = 99
			}
			var err error
			what := ""
			switch op {
			case 0:
				rec := crm.Record{Entity: entity, Fields: in.fields(reg, entity, refs)}
				if in.byte()%4 == 0 {
					rec.ID = target.ID
				}
				if in.byte()%8 == 0 {
					rec.State, rec.Status = crm.StateCode(in.byte()%4), crm.StatusCode(in.byte()%9)
				}
				if in.byte()%8 == 0 {
					rec.Owner = in.ref(refs, "")
				}
				var out crm.Record
				out, err = store.Create(ctx, rec)
				if err == nil {
					refs = append(refs, out.Ref())
				}
				what = fmt.Sprintf("create %s %v", entity, rec.Fields)
			case 1:
				rec := crm.Record{Entity: target.Entity, Header: crm.Header{ID: target.ID, Version: version}, Fields: in.fields(reg, target.Entity, refs)}
				if in.byte()%8 == 0 {
					rec.State, rec.Status = crm.StateCode(in.byte()%4), crm.StatusCode(in.byte()%9)
				}
				_, err = store.Update(ctx, rec)
				what = fmt.Sprintf("update %s %v", target, rec.Fields)
			case 2:
				err = store.Delete(ctx, target, version)
				what = fmt.Sprintf("delete %s", target)
			case 3:
				event := fuzzEvents[int(in.byte())%len(fuzzEvents)]
				_, err = store.SetState(ctx, target, version, event, crm.StatusCode(in.byte()%9))
				what = fmt.Sprintf("%s %s", event, target)
			case 4:
				owner := in.ref(refs, "")
				_, err = store.Assign(ctx, target, version, owner)
				what = fmt.Sprintf("assign %s to %s", target, owner)
			}
			clock.Advance(time.Second)
			if err != nil {
				if after := fuzzDump(t, store); after != before {
					t.Fatalf("step %d: %s failed (%v) but changed the store:\nbefore:\n%s\nafter:\n%s", step, what, err, before, after)
				}
			}
		}
	})
}

var (
	fuzzEntities = []string{"account", "contact", "task", "salesorder", "nosuchentity"}
	fuzzEvents   = []string{"complete", "cancel", "reopen", "", "explode"}
	fuzzExtra    = []string{"nosuchfield", "", "id", "version", "ownerid", "statecode", "statuscode", "createdon", "fullname", "NAME"}
	fuzzCurrency = []crm.Currency{"EUR", "USD", "JPY", "BHD", "", "XXX", "eur"}
)

// fuzzHooks registers hooks that write and that fail on some input, so
// that operations fail after they have written: their rollback is what the
// fuzz target checks.
func fuzzHooks(t *testing.T, s *storage.Store) {
	t.Helper()
	failOn := func(field, mark string) storage.Hook {
		return func(ctx context.Context, ev *storage.Event) error {
			if strings.Contains(ev.Target.Fields.String(field), mark) {
				return errFuzzHook
			}
			return nil
		}
	}
	hooks := []struct {
		entity string
		op     storage.Op
		stage  storage.Stage
		hook   storage.Hook
	}{
		{"contact", storage.OpCreate, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			_, err := s.Create(ctx, crm.Record{Entity: "task", Fields: crm.Fields{"subject": "Welcome " + ev.Target.Fields.String("lastname"),
				"regardingobjectid": ev.Target.Ref()}})
			if err != nil {
				return err
			}
			return failOn("lastname", "!")(ctx, ev)
		}},
		{"account", storage.OpUpdate, storage.PostOperation, failOn("city", "!")},
		{"account", storage.OpDelete, storage.PostOperation, failOn("name", "!")},
		{"contact", storage.OpDelete, storage.PreOperation, failOn("city", "!")},
		{"task", storage.OpDelete, storage.PostOperation, failOn("subject", "!")},
		{"task", storage.OpSetState, storage.PostOperation, failOn("subject", "#")},
		{"task", storage.OpAssign, storage.PreOperation, failOn("subject", "#")},
		{"account", storage.OpAssign, storage.PostOperation, func(ctx context.Context, ev *storage.Event) error {
			// Assign the account's tasks too, failing on a marked one.
			for rec, err := range s.Iterate(ctx, crm.Query{Entity: "task", Where: crm.Eq("regardingobjectid", ev.Target.ID)}) {
				if err != nil {
					return err
				}
				if _, err := s.Assign(ctx, rec.Ref(), storage.AnyVersion, ev.Target.Owner); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, h := range hooks {
		if err := s.Hook(h.entity, h.op, h.stage, h.hook); err != nil {
			t.Fatal(err)
		}
	}
}

var errFuzzHook = errors.New("fuzz hook refused")

// fuzzInput reads the fuzz bytes; past their end it reads zeros.
type fuzzInput struct {
	data []byte
	pos  int
}

func (in *fuzzInput) more() bool { return in.pos < len(in.data) }

func (in *fuzzInput) byte() byte {
	if in.pos >= len(in.data) {
		return 0
	}
	b := in.data[in.pos]
	in.pos++
	return b
}

func (in *fuzzInput) bytes(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = in.byte()
	}
	return out
}

func (in *fuzzInput) int64() int64 { return int64(binary.LittleEndian.Uint64(in.bytes(8))) }

func (in *fuzzInput) string() string {
	n := int(in.byte())
	if n == 0xff { // a long text, over most lengths
		return strings.Repeat(string(rune('a'+in.byte()%26)), 100+int(in.byte())*4)
	}
	return string(in.bytes(n))
}

// ref picks a known record, a record of another entity, or a new ID.
func (in *fuzzInput) ref(refs []crm.Ref, entity string) crm.Ref {
	b := in.byte()
	switch {
	case len(refs) > 0 && b < 200:
		r := refs[int(b)%len(refs)]
		if entity != "" && b%3 == 0 {
			r.Entity = entity // the ID of a record of another entity
		}
		return r
	case b < 230:
		return crm.Ref{Entity: entity, ID: crm.NewID()}
	case b < 240:
		return crm.Ref{Entity: crm.UserEntity, ID: crm.NewID()}
	case b < 250:
		return crm.Ref{Entity: crm.TeamEntity, ID: crm.NewID()}
	}
	return crm.Ref{Entity: entity}
}

func (in *fuzzInput) fields(reg *crm.Registry, entity string, refs []crm.Ref) crm.Fields {
	var names []string
	if e, err := reg.Entity(entity); err == nil {
		for _, f := range e.Fields {
			names = append(names, f.Name)
		}
	}
	names = append(names, fuzzExtra...)
	out := crm.Fields{}
	for range int(in.byte() % 6) {
		out[names[int(in.byte())%len(names)]] = in.value(refs)
	}
	return out
}

// value returns a value of any Go type a caller might pass.
func (in *fuzzInput) value(refs []crm.Ref) any {
	switch in.byte() % 21 {
	case 0:
		return nil
	case 1:
		return ""
	case 2:
		return in.string()
	case 19:
		return fuzzMarked[int(in.byte())%len(fuzzMarked)]
	case 3:
		return int(in.int64())
	case 4:
		return int32(in.int64())
	case 5:
		return in.int64()
	case 6:
		return uint(in.byte())
	case 7:
		return decimal.New(in.int64()%1_000_000_000_000, int32(int8(in.byte()))%40)
	case 8:
		return crm.Money{Amount: decimal.New(in.int64()%1_000_000_000_000, int32(int8(in.byte()))%20),
			Currency: fuzzCurrency[int(in.byte())%len(fuzzCurrency)]}
	case 9:
		return in.byte()%2 == 0
	case 10:
		// From about 1500 to 2500, and now and then far out of range.
		sec := in.int64() % (500 * 365 * 86400)
		t := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(sec) * time.Second).Add(time.Duration(in.int64() % 1e9))
		if in.byte()%16 == 0 {
			t = t.AddDate(int(in.byte())*40, 0, 0)
		}
		return t.In(time.FixedZone("x", (int(in.byte())-128)*60))
	case 11:
		return in.ref(refs, "").ID
	case 12:
		return in.ref(refs, "")
	case 13:
		return in.ref(refs, fuzzEntities[int(in.byte())%len(fuzzEntities)])
	case 14:
		return float64(in.int64()) / 1000
	case 15:
		return []byte(in.string())
	case 16:
		return int64(1)<<32 + int64(in.byte()%4) // wraps onto small int32s
	case 17:
		return struct{}{}
	case 18:
		s := in.string()
		return &s
	case 20:
		return crm.Ref{}
	}
	return nil
}

// fuzzMarked are texts the hooks react to.
var fuzzMarked = []string{"Fail!", "Hash#", "Plain", "Lee"}

// fuzzDump renders every record of every entity canonically.
func fuzzDump(t *testing.T, s *storage.Store) string {
	t.Helper()
	var b strings.Builder
	for _, e := range s.Registry().Entities() {
		var lines []string
		for rec, err := range s.Iterate(context.Background(), crm.Query{Entity: e.Name}) {
			if err != nil {
				t.Fatalf("dump %s: %v", e.Name, err)
			}
			lines = append(lines, fmt.Sprintf("%s %+v %v", e.Name, rec.Header, rec.Fields))
		}
		slices.Sort(lines)
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
