-- Roll-up tiers (issue 19): 1 h and 1 d windows are now materialised by the processor in each batch, from
-- the batch's 15 m partial aggregates, instead of being summed from the 15 m windows on every query. This
-- fills them once from the 15 m windows already stored, so a database migrated with history answers its
-- hours and days from the new tiers at once (a roll-up is final when every 15 m window in it is).
INSERT INTO window_aggregates (window_seconds, site_id, zone_id, sensor_type, window_start, sample_count,
                               value_sum, value_sum_sq, value_min, value_max, is_final)
SELECT r.secs, w.site_id, w.zone_id, w.sensor_type,
       date_bin(make_interval(secs => r.secs), w.window_start, timestamptz 'epoch'),
       sum(w.sample_count), sum(w.value_sum), sum(w.value_sum_sq), min(w.value_min), max(w.value_max),
       bool_and(w.is_final)
  FROM window_aggregates w
 CROSS JOIN (VALUES (3600), (86400)) AS r(secs)
 WHERE w.window_seconds = 900
 GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (window_seconds, site_id, zone_id, sensor_type, window_start) DO NOTHING;
