// "Pairing code" on the POS card: a one-time code the POS app types instead of the owner's password.
import { api, seg } from '../api.js';
import { h, replace } from '../dom.js';
import { timeEl } from '../format.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { errorAlert } from '../ui/states.js';
import { toast } from '../ui/toasts.js';

const EXPIRY_CHOICES = [600, 3600, 86400]; // seconds; the API allows 60..86400, default 600
const CHECK_EVERY_TICKS = 3; // while a code is shown, look every 3 s whether a POS app used it

/** "9:59", "59:59", "23:59:59". */
export function countdownText(msLeft) {
  const total = Math.max(0, Math.ceil(msLeft / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/**
 * The pairing panel for a NOT_ACTIVATED or INACTIVE slot. `onChange(devicePatch)` tells the card that
 * `pairing_code_expires_at` changed. The code itself is only known right after it was generated (the
 * server keeps only its hash), so after a reload the panel shows that a code is active, and Revoke.
 * While a code is shown the slot is re-read every few seconds; `onActivated(device)` once a POS app used it.
 */
export function pairingPanel({ device, signal, onChange, onActivated }) {
  const root = h('section', { class: 'card pairing', testid: 'pairing-panel', 'aria-labelledby': 'pairing-title' });
  let shown = null; // {code, expires_at} just generated
  let timer = null;
  const stopTimer = () => { if (timer) clearInterval(timer); timer = null; };
  signal?.addEventListener('abort', stopTimer, { once: true });

  async function generate(seconds) {
    try {
      const data = await api.post(`/v1/pos_devices/${seg(device.id)}/pairing_code`, { expires_in_seconds: seconds }, { signal });
      shown = data;
      onChange?.({ pairing_code_expires_at: data.expires_at });
      render();
      root.querySelector('[data-testid="pairing-code"]')?.focus();
    } catch (error) {
      if (error.name === 'AbortError') return;
      replace(errorSlot, errorAlert(error));
    }
  }

  async function revoke() {
    try {
      await api.del(`/v1/pos_devices/${seg(device.id)}/pairing_code`, { signal });
      shown = null;
      onChange?.({ pairing_code_expires_at: null });
      toast(t('pairing.revoked'), 'success');
      render();
    } catch (error) {
      if (error.name === 'AbortError') return;
      replace(errorSlot, errorAlert(error));
    }
  }

  const errorSlot = h('div', { 'aria-live': 'assertive' });

  function expirySelect() {
    return h('label', { class: 'pairing__expiry' }, t('pairing.valid_for'), ' ',
      h('select', { name: 'expires_in_seconds', testid: 'pairing-expiry' },
        EXPIRY_CHOICES.map((s) => h('option', { value: String(s) }, t(`pairing.expiry.${s}`)))));
  }

  function generateButton(labelKey) {
    return h('button', {
      type: 'button', class: 'button button--primary button--small', testid: 'generate-pairing-code',
      onclick: () => generate(Number(root.querySelector('[data-testid="pairing-expiry"]')?.value || 600)),
    }, icon('refresh'), t(labelKey));
  }

  function render() {
    stopTimer();
    replace(errorSlot);
    const title = h('h2', { id: 'pairing-title', class: 'card__title' }, t('pairing.title'));
    const expiresAt = shown?.expires_at || device.pairing_code_expires_at;
    const live = expiresAt && new Date(expiresAt).getTime() > Date.now();
    if (shown && live) {
      const countdown = h('span', { testid: 'pairing-countdown', class: 'pairing__countdown' });
      let ticks = 0;
      const check = async () => {
        try {
          const current = await api.get(`/v1/pos_devices/${seg(device.id)}`, { signal });
          if (current.status === 'ACTIVATED') {
            stopTimer();
            onActivated?.(current);
          }
        } catch {
          /* a failed look is retried at the next one */
        }
      };
      const tick = () => {
        ticks += 1;
        if (ticks % CHECK_EVERY_TICKS === 0) check();
        const left = new Date(shown.expires_at).getTime() - Date.now();
        if (left <= 0) {
          shown = null;
          onChange?.({ pairing_code_expires_at: null });
          render();
          return;
        }
        countdown.textContent = countdownText(left);
      };
      replace(root, title,
        h('p', {}, t('pairing.enter_code')),
        h('p', {
          class: 'pairing__code', testid: 'pairing-code', tabindex: '-1', 'aria-label': t('pairing.code_aria', { code: shown.code.split('').join(' ') }),
        }, shown.code),
        h('p', { class: 'pairing__expires', 'aria-live': 'off' }, t('pairing.expires_in'), ' ', countdown),
        h('p', { class: 'field__hint' }, t('pairing.once_hint')),
        h('div', { class: 'pairing__actions' },
          h('button', { type: 'button', class: 'button button--danger-outline button--small', testid: 'revoke-pairing-code', onclick: revoke }, t('pairing.revoke')),
          expirySelect(), generateButton('pairing.new_code')),
        errorSlot);
      tick();
      timer = setInterval(tick, 1000);
      return;
    }
    if (live) { // a code is active, but it was shown earlier (only its hash is kept)
      replace(root, title,
        h('p', { testid: 'pairing-active' }, t('pairing.active_until'), ' ', timeEl(expiresAt)),
        h('p', { class: 'field__hint' }, t('pairing.lost_code_hint')),
        h('div', { class: 'pairing__actions' },
          h('button', { type: 'button', class: 'button button--danger-outline button--small', testid: 'revoke-pairing-code', onclick: revoke }, t('pairing.revoke')),
          expirySelect(), generateButton('pairing.new_code')),
        errorSlot);
      return;
    }
    replace(root, title,
      h('p', {}, t('pairing.explain')),
      h('div', { class: 'pairing__actions' }, expirySelect(), generateButton('pairing.generate')),
      errorSlot);
  }

  render();
  return root;
}
