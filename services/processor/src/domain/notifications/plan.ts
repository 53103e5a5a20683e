import type { Channel } from './config';
import { quietUntil } from './quiet-hours';
import { planRate, type Buckets, type RatePlan } from './rate-limit';
import type { Delivery } from './transition';

/**
 * What a channel does with its due deliveries now. Alertmanager takes them all in one post (it groups and
 * throttles by its own configuration). A webhook holds what falls in quiet hours until they end, then
 * applies its rate limits (see planRate): each message is one delivery or a digest.
 */
export function planChannel(
  channel: Channel,
  due: readonly Delivery[],
  buckets: Buckets,
  nowMs: number,
): RatePlan<Delivery> {
  if (channel.type === 'alertmanager') return { messages: due.length > 0 ? [[...due]] : [], held: [] };
  const held: { item: Delivery; untilMs: number }[] = [];
  const open: Delivery[] = [];
  for (const d of due) {
    const until = channel.quiet_hours
      ? quietUntil(channel.quiet_hours, d.transition.alert.severity, nowMs)
      : null;
    if (until === null) open.push(d);
    else held.push({ item: d, untilMs: until });
  }
  const rated = planRate(open, (d) => d.transition.alert.device_id, channel.rate_limit, buckets, nowMs);
  return { messages: rated.messages, held: [...held, ...rated.held] };
}

/** How many messages a channel sends at once: Alertmanager gets one post per pass anyway. */
export const maxInFlight = (channel: Channel): number =>
  channel.type === 'alertmanager' ? 1 : channel.max_in_flight;

/**
 * The messages of a pass in waves sent concurrently, in their order: a wave holds at most `limit` messages
 * and never two about the same alert, so an alert's transitions (opened, then resolved) reach the receiver
 * one after the other, each after the previous one was answered.
 */
export function waves<M extends readonly Delivery[]>(messages: readonly M[], limit: number): M[][] {
  const out: M[][] = [];
  let wave: M[] = [];
  let alerts = new Set<number>();
  for (const message of messages) {
    const ids = message.map((d) => d.transition.alert.alert_id);
    if (wave.length >= limit || ids.some((id) => alerts.has(id))) {
      out.push(wave);
      wave = [];
      alerts = new Set();
    }
    wave.push(message);
    for (const id of ids) alerts.add(id);
  }
  if (wave.length > 0) out.push(wave);
  return out;
}
