/**
 * The API benchmark's devices, forked by ./servers.ts: live readings of the whole fleet at BENCH_RATE
 * events/s into BENCH_TOPIC, ts_event now, values inside every alert band. It says `ready` over IPC once
 * connected, stops on the message `stop`, and answers with how many it sent in how long.
 */
import { randomUUID } from 'node:crypto';
import { kafka, sleep } from '../common.ts';
import { FLEET, SENSORS } from './dataset.ts';

const VALUES: Record<string, (n: number) => number> = {
  co2: (n) => 500 + (n % 300),
  temperature: () => 21.5,
  humidity: () => 44,
  occupancy: (n) => n % 20,
};

async function main(): Promise<void> {
  const topic = process.env['BENCH_TOPIC'] ?? '';
  const rate = Number(process.env['BENCH_RATE']);
  const producer = kafka().producer();
  await producer.connect();
  const tickMs = 100;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  let stopping = false;
  process.on('message', (m) => m === 'stop' && (stopping = true));
  process.on('disconnect', () => process.exit(0)); // the bench died
  process.send?.({ ready: true });
  const started = Date.now();
  let sent = 0;
  for (let tick = 0; !stopping; tick += 1) {
    const due = started + tick * tickMs;
    if (due > Date.now()) await sleep(due - Date.now());
    const ts = new Date().toISOString();
    const messages = [];
    for (let i = 0; i < perTick; i += 1) {
      const n = sent + i;
      const f = FLEET[n % FLEET.length];
      const [sensor, unit] = SENSORS[Math.floor(n / FLEET.length) % SENSORS.length] ?? SENSORS[0];
      if (!f) continue;
      messages.push({
        key: f.device,
        value: JSON.stringify({
          event_id: randomUUID(),
          device_id: f.device,
          site_id: f.site,
          zone_id: f.zone,
          sensor_type: sensor,
          value: VALUES[sensor]?.(n),
          unit,
          ts_event: ts,
        }),
      });
    }
    await producer.send({ topic, messages });
    sent += messages.length;
  }
  await producer.disconnect();
  process.send?.({ sent, seconds: (Date.now() - started) / 1000 });
  process.disconnect?.();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
