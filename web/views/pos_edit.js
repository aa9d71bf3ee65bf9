// "Edit POS" card: rename, status with Deactivate, and safe deletion with live progress.
import { api, LIVE_POLL_MS, NOT_MODIFIED, seg } from '../api.js';
import { clear, h, replace } from '../dom.js';
import { number, statusBadge, timeEl, yesNo } from '../format.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';
import {
  clearFormErrors, confirmDialog, errorAlert, field, formValues, loading, pageHeader, rules, showApiErrors,
  showFieldErrors, toast, validateWith,
} from '../ui.js';
import { loadStores } from './common.js';
import { finalSyncOption, finalSyncPanel } from './final_sync.js';
import { pairingPanel } from './pairing.js';
import { confirmDeletion, deletionPanel, deletionWords, followDeletion, sleep } from './pos_deletion.js';
import { moveButton } from './pos_move.js';
import { loadEmployeeNames, presenceCell } from './pos_presence.js';

const SHOW_DONE_MS = 1500; // how long the finished progress stays before going back to the list

/** The POS's numbers and dates, with links to its receipts and activity. */
function detailsCard(d, employeeNames) {
  const rows = [
    [t('pos.number'), h('span', { testid: 'pos-number' }, String(d.number ?? '—'))],
    [t('pos.receipt_prefix'), h('code', {}, `${d.number ?? '?'}-…`)],
    [t('pos.activated_at'), timeEl(d.activated_at)],
    [t('pos.deactivated_at'), timeEl(d.deactivated_at)],
    [t('pos.installation'), d.installation_id ? h('code', {}, d.installation_id) : '—'],
    [t('pos.last_sync'), timeEl(d.last_sync_at, 'pos.never_synced')],
    [t('pos.signed_in'), presenceCell(d, employeeNames)],
    [t('pos.last_receipt_number'), number(d.last_receipt_number)],
    [t('pos.synced_receipts'), number(d.synced_receipts)],
    [t('pos.unsynced_receipts'), h('span', { class: d.unsynced_receipts ? 'warn-text' : '', testid: 'unsynced-receipts' }, number(d.unsynced_receipts))],
    [t('pos.lost_receipts'), h('span', { testid: 'lost-receipts-total' }, number(d.lost_receipts))],
    [t('pos.shift_open'), h('span', { testid: 'shift-open' }, yesNo(d.shift_open))],
    [t('pos.open_tickets'), number(d.open_tickets)],
    [t('pos.created_at'), timeEl(d.created_at)],
  ];
  return h('section', { class: 'card', 'aria-labelledby': 'pos-details-title' },
    h('h2', { id: 'pos-details-title', class: 'card__title' }, t('pos.details')),
    h('dl', { class: 'details' }, rows.map(([label, value]) => h('div', {}, h('dt', {}, label), h('dd', {}, value)))),
    h('p', { class: 'card__links' },
      h('a', { href: `#/receipts?pos_device_id=${encodeURIComponent(d.id)}` }, t('pos.see_receipts')), ' · ',
      h('a', { href: `#/events?pos_device_id=${encodeURIComponent(d.id)}` }, t('pos.see_events'))));
}

export async function posEditView({ main, params, signal, navigate }) {
  const [deviceId] = params;
  const root = h('section', { class: 'page page--narrow', testid: 'pos-edit-page' });
  main.append(root);
  root.append(h('a', { class: 'back-link', href: '#/pos' }, icon('back'), t('pos.back_to_list')), loading());

  const [device, stores, employeeNames] = await Promise.all([
    api.get(`/v1/pos_devices/${seg(deviceId)}`, { signal }),
    loadStores(signal),
    loadEmployeeNames(signal),
  ]);
  root.lastChild.remove();

  const state = { device, deactivation: null, polling: false };
  const storeName = (id) => stores.find((s) => s.id === id)?.name || '—';

  const headerSlot = h('div');
  const cardSlot = h('div');
  const deactivationSlot = h('div', { 'aria-live': 'polite' });
  const deletionSlot = h('div');
  const detailsSlot = h('div');
  const finalSyncSlot = h('div');
  const pairingSlot = h('div');
  const liveStatus = h('p', { class: 'visually-hidden', role: 'status', testid: 'deletion-status' });
  root.append(headerSlot, deactivationSlot, finalSyncSlot, deletionSlot, cardSlot, pairingSlot, detailsSlot, liveStatus);

  function deletionRunning() {
    return state.device.deletion?.status === 'RUNNING';
  }

  function render() {
    const d = state.device;
    const deleted = Boolean(d.deleted_at);
    const trash = !deleted && !deletionRunning()
      ? h('button', {
        type: 'button', class: 'button button--danger-outline', testid: 'delete-button',
        'aria-label': t('pos.delete'), title: t('pos.delete'), onclick: askDelete,
      }, icon('trash'), h('span', { class: 'hide-narrow' }, t('pos.delete')))
      : null;
    replace(headerSlot, pageHeader(t('pos.edit_title'), trash));

    if (deleted) {
      replace(cardSlot, h('div', { class: 'alert alert--info', testid: 'pos-deleted-notice' },
        h('div', { class: 'alert__body' },
          h('p', {}, statusBadge(d)),
          h('p', {}, t('pos.deleted_notice', { name: d.name })),
          h('p', { class: 'muted' }, t('pos.deleted_at'), ' ', timeEl(d.deleted_at)))));
    } else {
      replace(cardSlot, renderCard(d));
    }
    replace(detailsSlot, detailsCard(d, employeeNames));
    replace(finalSyncSlot, finalSyncPanel({
      device: d, signal, onChange: (device) => { state.device = device; clear(deactivationSlot); render(); },
    }));
    const pairable = !deleted && !deletionRunning() && d.status !== 'ACTIVATED';
    // Re-rendered only when it appears or disappears, so that a shown code and its countdown survive renders.
    if (!pairable) {
      clear(pairingSlot);
    } else if (!pairingSlot.firstChild) {
      pairingSlot.append(pairingPanel({
        device: d,
        signal,
        onChange: (patch) => { state.device = { ...state.device, ...patch }; },
        onActivated: (device) => {
          state.device = device;
          toast(t('pairing.paired', { name: device.name }), 'success');
          render();
        },
      }));
    }
    renderDeletion();
  }

  function renderCard(d) {
    const formError = h('div', { class: 'form-error', 'aria-live': 'assertive' });
    const save = h('button', { type: 'submit', class: 'button button--primary', testid: 'rename-save' }, t('common.save'));
    const nameField = field({ name: 'name', label: t('pos.name'), value: d.name, required: true, testid: 'pos-name-input', inputAttrs: { 'data-max-chars': 100 } });
    const form = h('form', { class: 'form', novalidate: true, testid: 'rename-form' },
      h('div', { class: 'inline-form' }, nameField, save),
      formError);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFormErrors(form, formError);
      const values = formValues(form);
      if (showFieldErrors(form, validateWith(values, { name: [rules.required, rules.maxLength(100)] }))) return;
      if (values.name.trim() === state.device.name) {
        toast(t('pos.renamed', { name: state.device.name }), 'success');
        return;
      }
      save.disabled = true;
      try {
        state.device = await api.patch(`/v1/pos_devices/${seg(d.id)}`, { name: values.name.trim() }, { signal });
        toast(t('pos.renamed', { name: state.device.name }), 'success');
        render();
      } catch (error) {
        if (error.name === 'AbortError') return;
        showApiErrors(form, formError, error);
      } finally {
        save.disabled = false;
      }
    });

    const canDeactivate = d.status === 'ACTIVATED' && !deletionRunning();
    return h('div', { class: 'card' },
      form,
      h('dl', { class: 'fields' },
        h('div', {}, h('dt', {}, t('pos.store')), h('dd', { class: 'status-field' }, h('span', { testid: 'pos-store' }, storeName(d.store_id)),
          moveButton(d, stores, { signal, onMoved: (moved) => { state.device = moved; render(); } }))),
        h('div', {}, h('dt', {}, t('pos.status')),
          h('dd', { class: 'status-field' },
            statusBadge(d),
            canDeactivate ? h('button', {
              type: 'button', class: 'button button--danger-outline button--small', testid: 'deactivate-button', onclick: askDeactivate,
            }, icon('power'), t('pos.deactivate')) : null,
            d.status !== 'ACTIVATED' && !d.deleted_at ? h('p', { class: 'field__hint' }, t(`pos.status_hint.${d.status}`)) : null))));
  }

  // ---------------------------------------------------------------- deactivate

  async function askDeactivate() {
    const d = state.device;
    const option = finalSyncOption();
    const message = [
      h('p', { class: 'warning-text', testid: 'deactivate-warning' }, icon('warning'), ' ', t('final_sync.deactivate_warning')),
      h('p', {}, t('pos.deactivate_explain')),
      d.unsynced_receipts ? h('p', { class: 'warn-text' }, t('pos.deactivate_unsynced', { n: d.unsynced_receipts })) : null,
    ];
    const lostBefore = d.lost_receipts ?? 0;
    const result = await confirmDialog({
      title: t('pos.deactivate_title', { name: d.name }),
      message,
      extra: option.node,
      confirmLabel: t('pos.deactivate'),
      confirmTestId: 'confirm-deactivate',
      testid: 'deactivate-dialog',
      danger: true,
      onConfirm: () => {
        const hours = option.hours();
        if (hours === null) throw Object.assign(new Error(t('final_sync.hours_invalid', { max: 168 })), { shown: true });
        return api.post(`/v1/pos_devices/${seg(d.id)}/deactivate`, hours ? { final_sync_hours: hours } : undefined, { signal });
      },
    });
    if (!result || result === true) return;
    state.device = result;
    const lost = (result.lost_receipts ?? 0) - lostBefore;
    replace(deactivationSlot, h('div', { class: `alert ${lost ? 'alert--warning' : 'alert--success'}`, testid: 'deactivation-result' },
      icon(lost ? 'warning' : 'check'),
      h('div', { class: 'alert__body' },
        h('p', {}, t('pos.deactivated', { name: result.name })),
        result.final_sync_until
          ? h('p', { testid: 'final-sync-result' }, t('final_sync.result', { n: result.final_sync_owed_receipts ?? 0 }))
          : h('p', { testid: 'lost-receipts' }, t('pos.lost_receipts_result', { n: lost })))));
    toast(t('pos.deactivated', { name: result.name }), 'success');
    render();
  }

  // ---------------------------------------------------------------- delete

  async function askDelete() {
    const deletion = await confirmDeletion(state.device, { signal });
    if (!deletion) return;
    state.device = { ...state.device, deletion };
    render();
    deletionSlot.querySelector('[data-testid="deletion-progress"]')?.focus();
    refreshDetails(); // what the card showed may be older than the checks the deletion is about to run
    poll();
  }

  function renderDeletion() {
    const deletion = state.device.deletion;
    if (!deletion || (state.device.deleted_at && deletion.status === 'SUCCEEDED' && !state.justDeleted)) {
      clear(deletionSlot);
      return;
    }
    replace(deletionSlot, deletionPanel(deletion, { onRetry: askDelete }));
    // One persistent live region, updated only when the words change, so screen readers hear each step once.
    const words = deletionWords(deletion);
    if (liveStatus.textContent !== words) liveStatus.textContent = words;
  }

  async function refreshDetails() {
    try {
      const fresh = await api.get(`/v1/pos_devices/${seg(deviceId)}`, { signal });
      state.device = { ...fresh, deletion: state.device.deletion };
      replace(detailsSlot, detailsCard(state.device, employeeNames));
    } catch (error) {
      if (error.name !== 'AbortError') console.warn(error);
    }
  }

  async function poll() {
    if (state.polling) return;
    state.polling = true;
    try {
      const deletion = await followDeletion(deviceId, {
        signal,
        onProgress: (running) => {
          const moved = running.step !== state.device.deletion?.step;
          state.device = { ...state.device, deletion: running };
          renderDeletion();
          // The deletion went past a check: re-read the POS, so the card (open shift, unsynced receipts)
          // never contradicts a step marked done.
          if (moved) refreshDetails();
        },
        onError: (error) => replace(deactivationSlot, errorAlert(error, { retry: () => { clear(deactivationSlot); poll(); } })),
      });
      if (!deletion) return;
      state.device = { ...state.device, deletion };
      if (deletion.status === 'SUCCEEDED') {
        state.justDeleted = true;
        state.device = { ...state.device, deleted_at: state.device.deleted_at || deletion.finished_at || new Date().toISOString() };
        render();
        toast(t('pos.deleted', { name: state.device.name }), 'success');
        await sleep(SHOW_DONE_MS, signal);
        navigate('/pos');
        return;
      }
      // FAILED: the device is left as it was; reload it so the card shows its real state.
      try {
        state.device = await api.get(`/v1/pos_devices/${seg(deviceId)}`, { signal });
      } catch (error) {
        if (error.name === 'AbortError') return;
      }
      state.device.deletion = state.device.deletion || deletion;
      render();
      deletionSlot.querySelector('[data-testid="deletion-progress"]')?.focus();
    } catch (error) {
      if (error.name !== 'AbortError') throw error;
    } finally {
      state.polling = false;
    }
  }

  // Live card: every few seconds a conditional request (304 while nothing changed); a change (a sync's counts,
  // last seen, a sign-in) refreshes the details card, which holds no form.
  let etag = null;
  async function refreshLive() {
    if (document.hidden || state.polling || state.device.deleted_at) return;
    try {
      const fresh = await api.get(`/v1/pos_devices/${seg(deviceId)}`, {
        signal, ifNoneMatch: etag, onEtag: (tag) => { etag = tag; },
      });
      if (fresh === NOT_MODIFIED || state.polling) return;
      state.device = { ...fresh, deletion: state.device.deletion };
      replace(detailsSlot, detailsCard(state.device, employeeNames));
    } catch (error) {
      if (error.name !== 'AbortError') console.warn(error);
    }
  }
  const live = setInterval(refreshLive, LIVE_POLL_MS);
  signal?.addEventListener('abort', () => clearInterval(live));

  render();
  if (deletionRunning()) poll();
}
