// Package hostdriver stands for a host program that registered a
// database/sql driver of its own under the name "pgx" before pgx did
// (its import path sorts before pgx's, so it is initialized first). The
// postgres package's tests import it to show that crmkit neither panics
// nor uses the host's driver.
package hostdriver

import (
	"database/sql"
	"database/sql/driver"
	"errors"
)

// ErrHostDriver is what the host's driver answers every connection with.
var ErrHostDriver = errors.New("the host's own driver registered as pgx")

type hostDriver struct{}

func (hostDriver) Open(string) (driver.Conn, error) { return nil, ErrHostDriver }

func init() { sql.Register("pgx", hostDriver{}) }
