/** What identifies a zone's latest-window row and what tells that it changed. */
export interface ZoneVersioned {
  readonly site_id: string;
  readonly zone_id: string;
  readonly sensor_type: string;
  readonly window_start: string;
  readonly count: number;
  readonly updated_at: string;
}

/** Per (site, zone, sensor): the window last sent and its version. */
export type SentZones = ReadonlyMap<string, { readonly windowStart: string; readonly version: string }>;

/**
 * Compares polled latest-window rows with what was last sent and returns the rows that are new or
 * changed, plus the updated memory. Polling re-reads a margin of already-seen rows (transactions commit
 * after their `updated_at`); this is what keeps those re-reads from being sent twice.
 */
export function zoneChanges<T extends ZoneVersioned>(
  sent: SentZones,
  rows: readonly T[],
): { changed: T[]; sent: SentZones } {
  const next = new Map(sent);
  const changed: T[] = [];
  for (const row of rows) {
    const key = `${row.site_id}\u0000${row.zone_id}\u0000${row.sensor_type}`;
    const version = `${row.window_start}|${row.count}|${row.updated_at}`;
    const previous = next.get(key);
    if (previous?.version === version) continue;
    // ISO-8601 UTC strings of one format sort as time: an older window is a late revision, not the latest.
    if (previous !== undefined && previous.windowStart > row.window_start) continue;
    next.set(key, { windowStart: row.window_start, version });
    changed.push(row);
  }
  return { changed, sent: next };
}
