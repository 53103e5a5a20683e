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
