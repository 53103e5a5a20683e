/**
 * The API key for acknowledging alerts: asked for once in a small in-page form (not window.prompt, which
 * cannot be styled, labelled or driven by a browser test) and kept in sessionStorage, so it lives as long
 * as the tab and is never written to disk by the page.
 */

const STORAGE_KEY = 'telemetry-pulse.api-key';

/**
 * @param {{ form: HTMLFormElement, input: HTMLInputElement, reason: HTMLElement, cancel: HTMLButtonElement }} els
 */
export function createApiKeyStore({ form, input, reason, cancel }) {
  /** @type {((key: string | undefined) => void) | undefined} */
  let pending;
  /** @type {Element | null} */
  let returnFocus = null; // where keyboard focus goes back to when the form closes
  const defaultReason = reason.textContent ?? '';

  function settle(/** @type {string | undefined} */ key) {
    form.hidden = true;
    input.value = '';
    const resolve = pending;
    pending = undefined;
    if (returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus();
    resolve?.(key);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) return;
    try {
      sessionStorage.setItem(STORAGE_KEY, key);
    } catch {
      // storage disabled: the key still works for this request
    }
    settle(key);
  });
  cancel.addEventListener('click', () => settle(undefined));
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') settle(undefined);
  });

  return {
    /** The stored key, if any. */
    current() {
      try {
        return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
      } catch {
        return undefined;
      }
    },
    /** Drops the stored key (after the server refused it). */
    forget() {
      try {
        sessionStorage.removeItem(STORAGE_KEY);
      } catch {
        // nothing stored
      }
    },
    /**
     * Shows the form and resolves with the key typed, or undefined when cancelled.
     * @param {string} [why] replaces the form's explanation, e.g. after a rejected key
     */
    ask(why) {
      pending?.(undefined);
      if (!form.contains(document.activeElement)) returnFocus = document.activeElement;
      reason.textContent = why ?? defaultReason;
      form.hidden = false;
      input.focus();
      return new Promise((resolve) => {
        pending = resolve;
      });
    },
  };
}
