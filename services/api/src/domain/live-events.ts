import type { Alert } from '../contract/alerts';
import type { ZoneLatest } from '../contract/readings';

/** What the live stream carries: changed zone windows, or one alert after a change. */
export type LiveEvent =
  | { readonly event: 'zones'; readonly data: ZoneLatest[] }
  | { readonly event: 'alert'; readonly data: Alert };

export type LiveListener = (e: LiveEvent) => void;

/** Fan-out to the connected listeners; a listener that throws is dropped, the others still receive. */
export interface LiveHub {
  subscribe(listener: LiveListener): () => void;
  publish(e: LiveEvent): void;
  listeners(): number;
}

/** A hub whose listener failures are reported through `onListenerError`. */
export function createLiveHub(onListenerError: (err: unknown) => void): LiveHub {
  const listeners = new Set<LiveListener>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    publish(e) {
      for (const listener of listeners) {
        try {
          listener(e);
        } catch (err) {
          listeners.delete(listener);
          onListenerError(err);
        }
      }
    },
    listeners: () => listeners.size,
  };
}
