// "Edit POS": the screen that puts its parts together. It holds the POS as last read (`device`) and redraws from it;
// the parts each do one job: pos_card.js draws, pos_rename.js renames, pos_actions.js deactivates, pos_deletion.js
// asks for and shows a deletion, pos_live.js keeps the POS and a running deletion current, final_sync.js and
// pairing.js are their panels.
import { api, seg } from '../api.js';
import { clear, h, replace } from '../dom.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { loadLimits } from '../limits.js';
import { pageHeader } from '../ui/page.js';
import { errorAlert, loading } from '../ui/states.js';
import { toast } from '../ui/toasts.js';
import { loadStores } from './common.js';
import { finalSyncPanel } from './final_sync.js';
import { pairingPanel } from './pairing.js';
import { askDeactivate, deactivationNotice } from './pos_actions.js';
import { deleteButton, deletedNotice, detailsCard, deviceCard } from './pos_card.js';
import { confirmDeletion, deletionPanel, deletionWords, sleep } from './pos_deletion.js';
import { deletionFollower, liveDevice } from './pos_live.js';
import { loadEmployeeNames } from './pos_presence.js';
import { renameForm } from './pos_rename.js';

const SHOW_DONE_MS = 1500; // how long the finished progress stays before going back to the list

export async function posEditView({ main, params, signal, navigate }) {
  const [deviceId] = params;
  const root = h('section', { class: 'page page--narrow', testid: 'pos-edit-page' });
  main.append(root);
  root.append(h('a', { class: 'back-link', href: '#/pos' }, icon('back'), t('pos.back_to_list')), loading());

  const [first, stores, employeeNames, limits] = await Promise.all([
    api.get(`/v1/pos_devices/${seg(deviceId)}`, { signal }),
    loadStores(signal),
    loadEmployeeNames(signal),
    loadLimits(),
  ]);
  root.lastChild.remove();
  let device = first;

  const headerSlot = h('div');
  const cardSlot = h('div');
  const deactivationSlot = h('div', { 'aria-live': 'polite' });
  const deletionSlot = h('div');
  const detailsSlot = h('div');
  const finalSyncSlot = h('div');
  const pairingSlot = h('div');
  const liveStatus = h('p', { class: 'visually-hidden', role: 'status', testid: 'deletion-status' });
  root.append(headerSlot, deactivationSlot, finalSyncSlot, deletionSlot, cardSlot, pairingSlot, detailsSlot, liveStatus);

  const deletionRunning = () => device.deletion?.status === 'RUNNING';

  /** Every change of the POS goes through here: keep it, draw the screen from it. */
  function show(next) {
    device = next;
    render();
  }

  /** A re-read POS: only the details card changes (it holds no form); the deletion is the poll's to say. */
  function showDetails(fresh) {
    device = { ...fresh, deletion: device.deletion };
    replace(detailsSlot, detailsCard(device, employeeNames));
  }

  function render() {
    const deleted = Boolean(device.deleted_at);
    replace(headerSlot, pageHeader(t('pos.edit_title'), !deleted && !deletionRunning() ? deleteButton(startDeletion) : null));
    replace(cardSlot, deleted ? deletedNotice(device) : deviceCard(device, {
      renameForm: renameForm(device, { maxLength: limits.posName, signal, onRenamed: show }),
      stores,
      signal,
      deletionRunning: deletionRunning(),
      onMoved: show,
      onDeactivate: deactivate,
    }));
    replace(detailsSlot, detailsCard(device, employeeNames));
    replace(finalSyncSlot, finalSyncPanel({ device, signal, onChange: (ended) => { clear(deactivationSlot); show(ended); } }));
    renderPairing(!deleted && !deletionRunning() && device.status !== 'ACTIVATED');
    // A deleted POS's old successful deletion is not news; a failed or running one is.
    const deletion = device.deletion;
    showDeletion(deletion && !(deleted && deletion.status === 'SUCCEEDED') ? deletion : null);
  }

  // Drawn only when it appears or disappears, so that a shown code and its countdown survive renders.
  function renderPairing(pairable) {
    if (!pairable) {
      clear(pairingSlot);
      return;
    }
    if (pairingSlot.firstChild) return;
    pairingSlot.append(pairingPanel({
      device,
      signal,
      onChange: (patch) => { device = { ...device, ...patch }; },
      onActivated: (activated) => {
        toast(t('pairing.paired', { name: activated.name }), 'success');
        show(activated);
      },
    }));
  }

  function showDeletion(deletion) {
    if (!deletion) {
      clear(deletionSlot);
      return;
    }
    replace(deletionSlot, deletionPanel(deletion, { onRetry: startDeletion }));
    // One persistent live region, updated only when the words change, so screen readers hear each step once.
    const words = deletionWords(deletion);
    if (liveStatus.textContent !== words) liveStatus.textContent = words;
  }

  const focusDeletion = () => deletionSlot.querySelector('[data-testid="deletion-progress"]')?.focus();

  // ---------------------------------------------------------------- deactivate

  async function deactivate() {
    const before = device;
    const result = await askDeactivate(before, { maxHours: limits.finalSyncHoursMax, signal });
    if (!result) return;
    replace(deactivationSlot, deactivationNotice(result, before));
    toast(t('pos.deactivated', { name: result.name }), 'success');
    show(result);
  }

  // ---------------------------------------------------------------- live POS and deletion

  const live = liveDevice(deviceId, {
    signal,
    paused: () => follower.following || Boolean(device.deleted_at),
    onChange: showDetails,
  });

  const follower = deletionFollower(deviceId, {
    signal,
    onProgress: (running) => {
      const moved = running.step !== device.deletion?.step;
      device = { ...device, deletion: running };
      showDeletion(running);
      // The deletion went past a check: re-read the POS, so the card (open shift, unsynced receipts) never
      // contradicts a step marked done.
      if (moved) live.refresh();
    },
    onError: (error) => replace(deactivationSlot, errorAlert(error, { retry: () => { clear(deactivationSlot); follower.start(); } })),
    onEnd: deletionEnded,
  });

  async function startDeletion() {
    const deletion = await confirmDeletion(device, { signal, syncWaitSeconds: limits.syncWaitSeconds });
    if (!deletion) return;
    show({ ...device, deletion });
    focusDeletion();
    live.refresh(); // what the card showed may be older than the checks the deletion is about to run
    follower.start();
  }

  async function deletionEnded(deletion) {
    if (deletion.status === 'SUCCEEDED') {
      show({ ...device, deletion, deleted_at: device.deleted_at || deletion.finished_at || new Date().toISOString() });
      showDeletion(deletion); // this one stays on screen until the list opens
      toast(t('pos.deleted', { name: device.name }), 'success');
      await sleep(SHOW_DONE_MS, signal);
      navigate('/pos');
      return;
    }
    // FAILED: the POS is left as it was; read it again so the card shows its real state.
    let fresh = { ...device, deletion };
    try {
      fresh = await api.get(`/v1/pos_devices/${seg(deviceId)}`, { signal });
    } catch (error) {
      if (error.name === 'AbortError') return;
    }
    show({ ...fresh, deletion: fresh.deletion || deletion });
    focusDeletion();
  }

  render();
  if (deletionRunning()) follower.start();
}
