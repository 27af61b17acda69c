-- Shared server state of a Custos fleet (io.custos.state.PostgresStateStore). Every row carries its own expiry and is
-- deleted by the store's sweeper once it has passed; schema history in custos_state_schema (the ledger keeps its own).

-- Opaque page cursors: the upstream next link stays here, bound to user, tool and patient ('' = no patient).
CREATE TABLE custos_cursor (
  id         TEXT PRIMARY KEY,
  subject    TEXT NOT NULL,
  tool       TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  next_link  TEXT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX custos_cursor_expiry ON custos_cursor (expires_at);

-- Write proposals with their state, approval and written result (JSON); kept until retention after their expiry.
CREATE TABLE custos_proposal (
  id         TEXT PRIMARY KEY,
  record     JSONB NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX custos_proposal_expiry ON custos_proposal (expires_at);

-- Break-the-glass grants, at most one per user and patient.
CREATE TABLE custos_grant (
  subject    TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  reason     TEXT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (subject, patient_id)
);
CREATE INDEX custos_grant_expiry ON custos_grant (expires_at);

-- Single-use records by SHA-256 of the claimed key (the key itself is not stored).
CREATE TABLE custos_single_use (
  key_sha256 TEXT PRIMARY KEY,
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX custos_single_use_expiry ON custos_single_use (expires_at);

-- Streamable HTTP session bindings by SHA-256 of the Mcp-Session-Id (the id itself is not stored).
CREATE TABLE custos_session (
  id_sha256     TEXT PRIMARY KEY,
  subject       TEXT NOT NULL,
  client_id     TEXT,
  idle_ms       BIGINT NOT NULL,
  last_seen     TIMESTAMPTZ NOT NULL,
  logged_off_at TIMESTAMPTZ
);

-- Rate-limit buckets: the table layout Bucket4j's PostgreSQL backend expects (state = Bucket4j's serialized bucket,
-- expires_at = epoch milliseconds after which the bucket has refilled to capacity).
CREATE TABLE custos_rate_bucket (
  id         TEXT PRIMARY KEY,
  state      BYTEA,
  expires_at BIGINT
);
CREATE INDEX custos_rate_bucket_expiry ON custos_rate_bucket (expires_at);
