-- depends: 0002_consent_v2
-- History imports: one row per consented usage point, the progress of its import. The row
-- goes with its usage point (deleted point, moved point, deleted account): the import's job
-- finds no row and stops.

CREATE TABLE history_imports (
    account_id      uuid NOT NULL,
    usage_point_id  text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'running', 'complete', 'failed')),
    calls_total     integer NOT NULL DEFAULT 0,
    calls_done      integer NOT NULL DEFAULT 0,
    days_cached     jsonb NOT NULL DEFAULT '{}'::jsonb,  -- {dataset: days}
    detail          text,                                 -- why pending or failed
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    completed_at    timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, usage_point_id),
    FOREIGN KEY (account_id, usage_point_id)
        REFERENCES usage_points (account_id, usage_point_id) ON DELETE CASCADE
);
