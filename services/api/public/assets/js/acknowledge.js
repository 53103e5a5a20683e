import { acknowledgeAlert } from './api.js';

/**
 * Acknowledging one alert: take the stored key or ask for one, POST, and put the answer in the list. A
 * refused key (401/403) is forgotten, said so, and asked for again until it works or the form is
 * cancelled; 404 and 409 mean the list is stale, so it is reloaded.
 *
 * @param {{
 *   keys: ReturnType<typeof import('./api-key.js').createApiKeyStore>,
 *   alerts: ReturnType<typeof import('./alert-list.js').createAlertList>,
 *   showError: (message: string | undefined) => void,
 *   onStale: () => void,
 * }} deps
 */
export function createAcknowledger({ keys, alerts, showError, onStale }) {
  /** @param {import('./alert-list.js').Alert} alert */
  return async function acknowledge(alert) {
    const id = String(alert.alert_id);
    let key = keys.current() ?? (await keys.ask());
    while (key) {
      alerts.setBusy(id, true);
      try {
        const updated = await acknowledgeAlert(id, key);
        showError(undefined);
        alerts.setBusy(id, false);
        alerts.upsert(
          updated && typeof updated === 'object' ? updated : { ...alert, status: 'acknowledged' },
        );
        return;
      } catch (err) {
        alerts.setBusy(id, false);
        const status = /** @type {{ status?: number }} */ (err).status;
        if (status !== 401 && status !== 403) {
          const why =
            status === 409 ? 'it is already resolved' : status === 404 ? 'it no longer exists' : String(err);
          showError(`Could not acknowledge alert ${id}: ${why}.`);
          if (status === 404 || status === 409) onStale();
          return;
        }
        keys.forget();
        const refused = status === 401 ? 'was missing or unknown (401)' : 'was refused (403)';
        showError(`The API key ${refused}; alert ${id} is still open. Enter a valid key to try again.`);
        key = await keys.ask('That key was not accepted. Enter a valid API key:');
      }
    }
  };
}
