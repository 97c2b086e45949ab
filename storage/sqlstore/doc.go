// Package sqlstore is crmkit's SQL storage adapter: one driver.Driver over
// database/sql, generic over entity metadata, for two databases, each in
// a package of its own that links its Go driver and no other:
//
//   - SQLite, the embedded default, through modernc.org/sqlite (pure Go, no
//     cgo): package storage/sqlstore/sqlite. sqlite.Open opens a file (or
//     ":memory:") with WAL, foreign keys, a busy timeout and
//     synchronous=NORMAL, and write transactions that start with BEGIN
//     IMMEDIATE.
//   - PostgreSQL, for scale, through pgx: package storage/sqlstore/postgres.
//     postgres.Open opens a DSN.
//
// Both open their database through the Go driver's connector, never by a
// database/sql driver name, so a host's own registrations do not matter.
// (modernc.org/sqlite registers the name "sqlite" when it is initialized,
// so a host must not register that name itself; pgx leaves "pgx" to a host
// that took it first.)
//
// Start with sqlite.Open or postgres.Open and hand the Driver to
// storage.New. A host that owns its *sql.DB uses New with sqlite.Dialect()
// or postgres.Dialect() instead, with WithTablePrefix (SQLite) or
// WithSchema (PostgreSQL) to keep crmkit's
// tables apart from its own; a host that holds a *sql.Tx runs crmkit inside
// it with Driver.WithTx, so that its own writes and crmkit's commit or roll
// back together.
//
// # Schema
//
// Opening a Driver migrates the database to the registry: one table per
// entity, typed columns, a primary key on id, a version column, foreign
// keys for single-target lookups to registered entities (deferred: the
// write path checks references itself and may insert a parent and its
// child in one call), and an index on every lookup column and on
// statecode. A money field is two columns, <field> and <field>_currency; a
// polymorphic lookup is <field> and <field>_type. An alternate key
// (crm.Key) is a UNIQUE index on its columns, a text part indexed as
// lower(column) so that keys compare case-insensitively as every text
// comparison does and a look-up by key is answered from the index; SQL's
// unique indexes leave rows with a null part out, as the memory store
// does. A violation is a *crm.DuplicateKeyError naming the key. A key
// added to the registry is indexed by the migration on open (data that
// breaks it fails the open with crm.ErrDuplicate); changing a key's
// fields is refused, and the index of a key the registry no longer
// declares stays. An index an entity declares (crm.Index) is an ordinary
// index ordered as queries sort (text as lower(column), a polymorphic
// lookup as its ID and type columns, nulls first: PostgreSQL is told
// NULLS FIRST so that read backwards it gives crmkit's DESC NULLS LAST),
// created, and checked for changes, as a key's is. Every change is a
// numbered version in the crmkit_schema_version table, holding the column
// model it produced (keys included); a later registry with new entities or fields adds
// tables and columns as a new version. Migrating runs under a lock
// (PostgreSQL's pg_advisory_xact_lock, SQLite's write lock), so running it
// twice, or from two processes at once, is safe. Columns of fields a
// registry no longer declares stay where they are; a registry that changes
// a field's type (or a decimal's precision) is refused.
//
// # Metadata that grows
//
// Driver implements driver.FieldAdder: storage.Store.AddFields adds fields
// to an entity of a running store online. In one transaction of its own,
// under the migration lock, the Driver adds the new columns (nullable; a
// lookup gets its index, and on PostgreSQL its foreign key) and records a
// schema version; then it switches to the new table, an atomic swap of its
// table set, and only then does the registry publish the extended entity.
// Concurrent writes wait for the table's lock (PostgreSQL's ALTER TABLE,
// SQLite's write lock) and commit before or after the change: none is
// lost, and, as every statement names its columns, a write still using the
// entity as it was keeps working. Writers wait for as long as the change
// holds the table: adding a nullable column is quick on both databases,
// but the index of an added lookup is built inside the transaction, which
// on a large PostgreSQL table takes as long as reading it. Adding fields
// inside a caller's transaction (WithTx) is refused.
//
// The database also keeps the metadata of what it stores: every migration
// writes the JSON declaration of every entity it serves (crm.Entity's
// MarshalJSON) into the crmkit_metadata table, one row per entity, beside
// the schema-version table. Opening a database reads it first and adds to
// the registry what the registry lacks: whole entities, and fields of the
// entities it has (at their end). A process that opens the database
// without the host's registration code (sales.Register alone) therefore
// still reads, writes, queries and sorts on the host's custom fields. For
// what the registry declares itself, its declaration wins. Computed
// fields come back computed only if they name a calculator the registry
// has registered (crm.Registry.RegisterCalculator; an unknown one fails
// the open); rules are code and are never learned. Opening changes the
// registry it is given: open a database with a registry that serves only
// it.
//
// How values are stored, and why:
//
//   - IDs are PostgreSQL uuid and SQLite 16-byte BLOBs: both order by
//     bytes, as driver.CompareKeys does.
//   - Text is PostgreSQL text COLLATE "C" and SQLite TEXT: byte order, and
//     lower() folds ASCII letters only under both, which is driver.FoldText.
//   - Decimals and money are PostgreSQL numeric. SQLite has no exact
//     decimal type (NUMERIC affinity turns values into floats), so there
//     they are scaled integers: money times 10^4 (Dynamics' range,
//     ±922,337,203,685,477.0000, fits an int64 exactly), a decimal times
//     10^precision. Comparisons, ordering, MIN and MAX are integer ones, so
//     exact; SUM adds the high and low 32 bits of each value separately, so
//     it cannot overflow and is put together exactly in Go. A decimal field
//     whose bounds times 10^precision do not fit an int64 is stored as
//     fixed-width offset digits in TEXT, which also order as numbers; the
//     registry keeps bounds within crm.MaxDecimalDigits digits, which that
//     text always holds. Two decimal fields of different precisions
//     compared with each other (crm.ValueOf) are compared exactly without
//     multiplying: two int64s by the coarser one against the finer one's
//     floored quotient and remainder, and any pair with a TEXT one as
//     text rewritten to one scale and width (sign digit, ten's
//     complement).
//   - Times are PostgreSQL timestamp (UTC, microseconds) and SQLite integer
//     microseconds since 1970 (UTC). The kernel keeps them within
//     crm.EarliestTime..crm.LatestTime; a time far outside that reaching
//     the encoder is an error, never a wrapped value. A date difference
//     (crm.DaysBetween, crm.HoursBetween) is date subtraction on
//     PostgreSQL and floored integer division of the microseconds on
//     SQLite: the same integers, before 1970 too.
//
// Transactions are database transactions (READ COMMITTED on PostgreSQL,
// where Tx.Lock is SELECT ... FOR UPDATE). Updates and deletes check the
// version in their WHERE clause. Tx.Referrers is one prepared statement
// per set of relationships, a UNION ALL of one SELECT per lookup column,
// each answered by the index every lookup column has. A delete nobody
// watches of a locked record (driver.UnreferencedDeleter) is a DELETE
// WHERE NOT EXISTS (those SELECTs): on PostgreSQL in a WITH whose
// statement also returns the referrers it found, on SQLite followed by
// Referrers when it deleted nothing. A delete that needs nothing else and
// joins no transaction is the DELETE alone, committed as it runs
// (Driver.DeleteAlone). A patch (driver.Patcher: an update the
// store sends without reading the record first) is one UPDATE of the
// changed columns and the header, its WHERE checking the version, the
// read-only states and any state or owner the caller named, RETURNING
// the row: an update that joins no transaction is that one statement,
// committed as it runs (Driver.Patch); inside one, BEGIN, UPDATE, COMMIT. On PostgreSQL an Insert of
// more records than one multi-row INSERT holds (WithBatchRows) is one
// COPY, on the transaction's connection (pgx's CopyFrom, reached through
// the dialect: this package imports no database driver), with the
// INSERTs' outcome: a taken ID or key fails it as crm.ErrDuplicate. The
// COPY asks for its records one at a time (driver.StreamInserter), so
// that the store checks and makes each while PostgreSQL stores the ones
// before it. A unique violation is crm.ErrDuplicate; a
// serialization failure, a deadlock or a SQLite database still busy after
// the busy timeout is storage.ErrRetry, which Store retries. A lost
// connection (a terminated backend, a server shutting down or starting,
// a network error) is storage.ErrUnavailable: with storage.ErrRetry too
// when it came before COMMIT was sent, since the database then rolled the
// transaction back; with storage.ErrCommitUnknown instead when COMMIT
// itself failed, as the transaction may have committed. Inside a caller's
// transaction (WithTx) a lost connection is ErrUnavailable only: the
// caller's transaction is gone, and only the caller can run it again.
//
// A Select streams. Inside a PostgreSQL transaction, whose one connection
// cannot run another statement while rows stream on it, it reads through
// a cursor (DECLARE, then FETCH 256 rows at a time, each batch read to its
// end before it is yielded), so the transaction may read and write between
// the records it yields, as on SQLite and the memory store.
//
// Queries compile to SQL in which every value is a bound parameter and
// every identifier comes from validated metadata, quoted. Their meaning is
// driver.Plan's exactly: nulls never match comparisons and sort first
// ascending, text compares ignoring ASCII case, money conditions match
// only their currency, keyset paging expands to OR chains, bounded by a
// plain comparison on the first sort key so an index on the sort keys
// reads a page as a range (descending on a field that may be null, the
// rows without a value are a second statement, run only when the first
// did not fill the page; see keyset.go). SQLite SELECTs outside a
// transaction are prepared once, up to 64 texts a table. A related-record
// condition is a correlated EXISTS on the other table: Related on the
// record a lookup points at, Exists (crm.Any, crm.None) on the records
// whose lookup column, indexed, equals the row's ID (NOT EXISTS for None),
// comparing the <field>_type column too through a polymorphic lookup. No query fails
// on a database limit that the memory store does not have: a long In or
// NotIn list is one parameter (a PostgreSQL array compared with = ANY or
// <> ALL, a JSON array read with SQLite's json_each), equalities on one
// field in a long OR become one such list (inequalities in an AND one NOT
// IN), chains of AND and OR nest as balanced trees, and a LIKE pattern
// past SQLite's 50,000 bytes
// becomes a comparison. What is left (crm.MaxFilterDepth,
// crm.MaxConditions) the planner refuses on every store alike; a statement
// that would still bind more values than the database takes fails with a
// *crm.ValidationError before it is sent. SQLite refuses only a LIKE
// pattern longer than 50,000 bytes with wildcards inside it.
//
// An aggregate is one GROUP BY statement (the minimum and maximum of text
// add a window query each). A group through lookups (crm.GroupBy.Path)
// LEFT JOINs each step's table on its primary key (aliases t1, t2, ...
// shared with the EXISTS subqueries of the filter), so a broken chain
// groups under null and no join multiplies the records counted; a
// polymorphic step also compares the lookup's entity column. The label
// of a lookup key joins each entity the key may point at and reads its
// primary name as MAX over the group. Entity names in those join
// conditions are written as literals: they are validated metadata names
// (lower-case letters, digits, underscores), and literals keep the
// statement's parameters in the order of its WHERE. A distinct count of a
// polymorphic lookup adds the distinct IDs of each entity, since IDs are
// unique per entity only. Having, ordering and limits of groups are
// applied by the planner's Finish to the groups the statement returns.
//
// The hierarchy operators (under, eq-or-under, above, eq-or-above,
// not-under) compile to a membership test in a recursive common table
// expression inside the same statement, "id [NOT] IN (WITH RECURSIVE h(id,
// depth) AS (... UNION ALL ...) SELECT id FROM h)": down the hierarchy
// through the index every lookup column has, up it through the primary
// key. Its depth column stops the walk at crm.MaxHierarchyDepth (100)
// levels, as the memory store's matcher stops, and bounds it should a
// cycle have been stored before the write path refused them. SQLite and
// PostgreSQL both accept WITH RECURSIVE in a subquery, so the one SQL text
// serves both.
package sqlstore
