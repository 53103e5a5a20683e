import type { Pool } from '@telemetry-pulse/shared';

/**
 * Retention of the operational history (issue 19): dead letters and alert notifications. Each delete
 * takes at most `chunk` rows per statement, so no statement holds its locks or bloats a table for long, and
 * at most `maxChunks` statements per pass; what is left goes on the next pass. Rows whose content exists
 * nowhere else, or that a component still works from, are never taken (see each function).
 */

export interface ChunkedDelete {
  readonly chunk?: number;
  readonly maxChunks?: number;
}

async function deleteInChunks(
  pool: Pool,
  sql: string,
  beforeMs: number,
  { chunk = 10_000, maxChunks = 100 }: ChunkedDelete,
): Promise<number> {
  let deleted = 0;
  for (let round = 0; round < maxChunks; round += 1) {
    const { rowCount } = await pool.query(sql, [beforeMs, chunk]);
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < chunk) break;
  }
  return deleted;
}

/**
 * Dead letters dead-lettered before `beforeMs` that the DLQ topic acknowledged (`published_at` set), the
 * superseded ones of an abandoned log included. A letter never published (the topic refused it, or a
 * processor stopped before publishing it) is the only copy of its bytes and stays until it is published.
 * Returns the rows deleted.
 */
export async function deletePublishedDeadLetters(
  pool: Pool,
  beforeMs: number,
  opts: ChunkedDelete = {},
): Promise<number> {
  let deleted = 0;
  for (const table of ['dead_letters', 'dead_letters_superseded'] as const) {
    deleted += await deleteInChunks(
      pool,
      `DELETE FROM ${table}
        WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table}
                                 WHERE created_at < to_timestamp($1::float8 / 1000) AND published_at IS NOT NULL
                                 LIMIT $2))`,
      beforeMs,
      opts,
    );
  }
  return deleted;
}

/**
 * Alert transitions recorded before `beforeMs`, with their deliveries (ON DELETE CASCADE), once settled:
 * no channel has a delivery of them still pending, and their alert is resolved (or gone). The transitions
 * of an alert still open stay, because a channel re-posts its firing alerts from them (Alertmanager's
 * resend). The caller keeps `beforeMs` older than the dispatcher's max age, so a deleted transition is never
 * routed again. Returns the transitions deleted.
 */
export async function deleteSettledTransitions(
  pool: Pool,
  beforeMs: number,
  opts: ChunkedDelete = {},
): Promise<number> {
  return deleteInChunks(
    pool,
    `DELETE FROM notification_transitions
      WHERE transition_id = ANY (ARRAY(
              SELECT t.transition_id FROM notification_transitions t
               WHERE t.created_at < to_timestamp($1::float8 / 1000)
                 AND NOT EXISTS (SELECT 1 FROM notification_deliveries d
                                  WHERE d.transition_id = t.transition_id AND d.status = 'pending')
                 AND NOT EXISTS (SELECT 1 FROM alerts a
                                  WHERE a.alert_id = t.alert_id AND a.status <> 'resolved')
               LIMIT $2))`,
    beforeMs,
    opts,
  );
}
