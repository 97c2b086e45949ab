CREATE TABLE IF NOT EXISTS {{table}} (
  version     integer NOT NULL PRIMARY KEY,
  applied_at  {{time}} NOT NULL,
  description text NOT NULL,
  model       text NOT NULL
)
