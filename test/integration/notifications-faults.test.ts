import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { BROKERS, waitFor } from '../support/infra';
import { MIN, co2Sender, keyOf, transitions, writeNotificationsConfig } from '../support/notifications';
import { openProcessorFixture, type ProcessorFixture } from '../support/processor-fixture';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const ROOT = path.join(__dirname, '..', '..');
const SECRET = 'faults-secret-0123456789';
const CHANNEL = 'facilities';

/**
 * Issue 21, item 5: at-least-once delivery with an idempotency key survives a receiver outage and a
 * processor killed between the transition's commit and its delivery: every transition reaches the receiver,
 * and after dedup by key each exactly once (raw duplicates are counted and printed). Default rules, event
 * times 2 h ago; `n` devices each open a warning at 2 min and resolve it after 4 min.
 */
describe('notification faults (real Kafka, PostgreSQL, processors and receiver)', () => {
  let f: ProcessorFixture | undefined;
  let receiver: WebhookReceiver | undefined;
  const children: ChildProcess[] = [];
  const base = Math.floor((Date.now() - 2 * 3600_000) / (15 * MIN)) * 15 * MIN;

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
    await f?.close();
    await receiver?.close();
    f = undefined;
    receiver = undefined;
  });

  const fleet = (prefix: string, n: number, from: number) =>
    Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        `${prefix}-${i}`,
        {
          site: 'site-1',
          zone: `zone-${i % 3}`,
          value: (t: number) => (t >= from && t <= from + 4 * MIN ? 1100 : 700),
        },
      ]),
    );

  /** Keys the receiver accepted, checked against the outbox: none missing, none extra. */
  async function expectEachKeyOnce(fx: ProcessorFixture, r: WebhookReceiver, what: string): Promise<void> {
    const expected = (await transitions(fx.pool)).map((t) => keyOf(t, CHANNEL)).sort();
    await waitFor(
      `every transition accepted (${what})`,
      async () => (expected.every((k) => r.byKey().has(k)) ? true : undefined),
      120_000,
    );
    const accepted = r.byKey();
    expect([...accepted.keys()].sort()).toEqual(expected); // nothing lost, nothing extra
    expect(r.received.every((x) => x.signature === 'ok')).toBe(true);
    const raw = [...accepted.values()].reduce((a, b) => a + b, 0);
    const posted = r.received.length;
    process.stdout.write(
      `${what}: ${expected.length} notifications, ${raw} accepted (${raw - expected.length} duplicate), ${posted} requests received\n`,
    );
    await waitFor('every delivery marked delivered', async () => {
      const { rows } = await fx.pool.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM notification_deliveries GROUP BY status`,
      );
      return JSON.stringify(rows) === JSON.stringify([{ status: 'delivered', n: expected.length }])
        ? true
        : undefined;
    });
  }

  it('delivers every notification once per key after the receiver was down for 2 minutes', async () => {
    receiver = await startWebhookReceiver(SECRET);
    f = await openProcessorFixture({ prefix: 'notify-down', partitions: 2 });
    const file = await writeNotificationsConfig({
      poll_interval: '200ms',
      channels: [
        {
          name: CHANNEL,
          type: 'webhook',
          url: `${receiver.url}/hook`,
          secret_env: 'HOOK_SECRET',
          retry: { base: '500ms', max: '10s', max_attempts: 200 },
          timeout: '2s',
        },
      ],
    });
    const { opsPort } = await f.startProcessor({ NOTIFICATIONS_CONFIG: file, HOOK_SECRET: SECRET });
    const send = co2Sender(f, base);
    await receiver.close();
    const downAt = Date.now();
    // Transitions keep coming while it is down: opens and resolves of 20 devices, in two waves.
    await send(0, 10 * MIN, fleet('dev', 20, 0));
    await new Promise((r) => setTimeout(r, 60_000));
    await send(10.5 * MIN, 20 * MIN, fleet('dev', 20, 11 * MIN));
    const { rows: outcome } = await f.pool.query<{ done: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE status <> 'pending')::int AS done,
              count(*) FILTER (WHERE attempts > 0)::int AS failed
         FROM notification_deliveries`,
    );
    expect(outcome[0]?.done).toBe(0); // nothing went anywhere, nothing died
    expect(outcome[0]?.failed).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, Math.max(0, downAt + 120_000 - Date.now())));
    await receiver.reopen();
    await expectEachKeyOnce(f, receiver, 'receiver down 2 min');
    expect((await transitions(f.pool)).length).toBe(80); // 20 devices x (open, resolve) x 2 waves
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    expect(metrics).toMatch(/telemetry_processor_notifications_failed_total\{channel="facilities"\} [1-9]/);
    expect(metrics).not.toMatch(/telemetry_processor_notifications_dead_total\{channel="facilities"\} [1-9]/);
  }, 360_000);

  it('stops promptly with a post in flight, leaving it pending for the next leader', async () => {
    receiver = await startWebhookReceiver(SECRET);
    receiver.respond('hang');
    f = await openProcessorFixture({ prefix: 'notify-stop', partitions: 1 });
    const file = await writeNotificationsConfig({
      poll_interval: '200ms',
      channels: [
        {
          name: CHANNEL,
          type: 'webhook',
          url: `${receiver.url}/hook`,
          secret_env: 'HOOK_SECRET',
          timeout: '60s',
        },
      ],
    });
    const env = { NOTIFICATIONS_CONFIG: file, HOOK_SECRET: SECRET };
    const { processor } = await f.startProcessor(env);
    await co2Sender(f, base)(0, 10 * MIN, fleet('dev', 3, 0));
    const r = receiver;
    await waitFor('a post in flight', async () => (r.received.length > 0 ? true : undefined));
    const stopping = Date.now();
    await processor.stop();
    expect(Date.now() - stopping).toBeLessThan(15_000); // not the 60 s the post could have waited
    const { rows } = await f.pool.query<{ status: string; attempts: number }>(
      `SELECT DISTINCT status, attempts FROM notification_deliveries`,
    );
    expect(rows).toEqual([{ status: 'pending', attempts: 0 }]); // abandoned, not counted as a failure
    r.respond('accept');
    await f.startProcessor(env);
    await expectEachKeyOnce(f, r, 'processor stopped mid-post');
  });

  it('loses nothing and invents nothing when the processor is killed -9 between commit and delivery', async () => {
    receiver = await startWebhookReceiver(SECRET);
    receiver.respond('hang'); // takes the first post and never answers: the victim dies waiting
    const fx = await openProcessorFixture({ prefix: 'notify-kill', partitions: 2 });
    f = fx;
    const file = await writeNotificationsConfig({
      poll_interval: '200ms',
      channels: [
        {
          name: CHANNEL,
          type: 'webhook',
          url: `${receiver.url}/hook`,
          secret_env: 'HOOK_SECRET',
          retry: { base: '500ms', max: '5s', max_attempts: 200 },
          timeout: '60s',
        },
      ],
    });
    const spawnProcessor = (): ChildProcess => {
      const child = spawn(process.execPath, [path.join(ROOT, 'services/processor/dist/main.js')], {
        env: {
          ...process.env,
          DATABASE_URL: fx.db.url,
          PROCESSOR_TOPIC: fx.topic,
          PROCESSOR_DLQ_TOPIC: fx.dlqTopic,
          PROCESSOR_GROUP_ID: fx.group,
          PROCESSOR_TOPIC_PARTITIONS: '2',
          KAFKA_BROKERS: BROKERS.join(','),
          KAFKA_SESSION_TIMEOUT: '10s',
          KAFKA_HEARTBEAT_INTERVAL: '1s',
          PROCESSOR_PORT: '0',
          NOTIFICATIONS_CONFIG: file,
          HOOK_SECRET: SECRET,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      return child;
    };
    const victim = spawnProcessor();
    await co2Sender(fx, base)(0, 10 * MIN, fleet('dev', 15, 0));
    const committed = (await transitions(fx.pool)).length;
    expect(committed).toBe(30);
    const r = receiver;
    await waitFor('the victim to be mid-delivery', async () => (r.received.length > 0 ? true : undefined));
    victim.kill('SIGKILL');
    await new Promise((resolve) => victim.once('exit', resolve));
    const { rows: undelivered } = await fx.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notification_transitions t
        WHERE NOT EXISTS (SELECT 1 FROM notification_deliveries d
                           WHERE d.transition_id = t.transition_id AND d.status = 'delivered')`,
    );
    expect(undelivered[0]?.n).toBe(committed); // committed, none marked delivered: the kill came in between

    r.respond('accept');
    const successor = spawnProcessor();
    await expectEachKeyOnce(fx, r, 'processor killed -9 mid-delivery');
    // The post the victim died waiting on was sent again under the same key: a duplicate the key absorbs.
    const firstKey = String(r.received[0]?.headers['idempotency-key']);
    expect(r.received.filter((x) => x.headers['idempotency-key'] === firstKey).length).toBeGreaterThanOrEqual(
      2,
    );
    successor.kill('SIGTERM');
    await new Promise((resolve) => successor.once('exit', resolve));
    expect(successor.exitCode).toBe(0);
  }, 240_000);
});
