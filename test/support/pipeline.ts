import type pg from 'pg';

/** Sum over partitions of the next offset the group has applied: equals the records produced once drained. */
export async function appliedRecords(db: pg.Pool, group: string, topic: string): Promise<number> {
  const { rows } = await db.query<{ n: string | null }>(
    'SELECT sum(greatest(next_offset, 0))::text AS n FROM consumer_offsets WHERE consumer_group = $1 AND topic = $2',
    [group, topic],
  );
  return Number(rows[0]?.n ?? 0);
}
