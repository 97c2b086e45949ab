package sales

import (
	"context"
	"fmt"
	"sync"

	"github.com/crmkit/crmkit/storage"
)

const (
	SequenceQuote   = "quote"
	SequenceOrder   = "salesorder"
	SequenceInvoice = "invoice"
)

type NumberFormat struct{}
type Numbering struct {
	mu sync.Mutex // the services share one, from any goroutine
	n  int
}

func NewNumbering(st *storage.Store, f map[string]NumberFormat) (*Numbering, error) {
	return &Numbering{}, nil
}
func (n *Numbering) Next(ctx context.Context, s string) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.n++
	return fmt.Sprintf("%s-%05d", s, 1000+n.n), nil
}
