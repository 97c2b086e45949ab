package crm

import (
	"sync"
	"time"
)

// A Clock tells the time. Stores take one so that tests and examples can fix
// "now"; every timestamp crmkit writes comes from a Clock.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real wall clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// ManualClock is a Clock that only moves when told to. It is safe for
// concurrent use. The zero value reads as the zero time.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TimePrecision is the finest resolution crmkit keeps. Every time value is
// stored in UTC truncated to it, which is what PostgreSQL keeps, so that
// every store returns the same instant it was given.
const TimePrecision = time.Microsecond

// NormalizeTime returns t in UTC truncated to TimePrecision.
func NormalizeTime(t time.Time) time.Time { return t.UTC().Truncate(TimePrecision) }
