// "Audit findings": what the audit found (missing receipts, silent devices, long shifts).
import { api } from '../api.js';
import { clear, h, replace } from '../dom.js';
import { localText, number, timeEl, translated } from '../format.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { errorAlert, toast } from '../ui.js';
import { byId, deviceLabel, loadDevices } from './common.js';
import { listPage } from './list.js';
import { sleep } from './pos_deletion.js';

const SHOWN_NUMBERS = 30;
const POLL_MS = 1000;

export async function auditView({ main, query, signal, setQuery }) {
  const filters = { status: query.status === 'resolved' ? 'resolved' : 'open' };
  let devicesById = new Map();
  const runButton = h('button', { type: 'button', class: 'button button--primary', testid: 'run-audit', onclick: runAudit }, icon('refresh'), t('audit.run'));
  const list = listPage({
    main, signal, setQuery, filters,
    testid: 'audit-page',
    title: t('audit.title'),
    actions: [runButton],
    intro: t('audit.intro'),
    filterBar: {},
    path: '/v1/audit/findings',
    key: 'findings',
    empty: () => (filters.status === 'open' ? t('audit.empty_open') : t('audit.empty_resolved')),
    table: { testid: 'findings-table', rowAttrs: (f) => ({ testid: 'finding-row', dataset: { type: f.type } }), columns: findingColumns },
  });
  const tabs = h('div', { class: 'segmented', role: 'group', 'aria-label': t('audit.show') },
    ['open', 'resolved'].map((status) => h('button', {
      type: 'button', class: 'segmented__item', testid: `findings-${status}`, 'aria-pressed': String(filters.status === status),
      onclick: (event) => {
        for (const b of tabs.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === event.currentTarget));
        list.setter('status')(status);
      },
    }, t(`audit.${status}`))));
  const runResult = h('div', { 'aria-live': 'polite' });
  list.filterBar.append(tabs);
  list.results.before(runResult);

  devicesById = byId(await loadDevices(signal));

  async function runAudit() {
    runButton.disabled = true;
    clear(runResult);
    try {
      // 202: the run goes on in the background; its status is polled until it has finished.
      let result = await api.post('/v1/audit/runs', undefined, { signal });
      if (result.status === 'RUNNING') {
        replace(runResult, h('p', { class: 'muted', testid: 'audit-running' }, t('audit.running')));
      }
      while (result.status === 'RUNNING') {
        await sleep(POLL_MS, signal);
        result = await api.get(`/v1/audit/runs/${encodeURIComponent(result.id)}`, { signal });
      }
      if (result.status === 'FAILED') {
        replace(runResult, h('div', { class: 'alert alert--error', role: 'alert', testid: 'audit-failed' }, icon('warning'),
          h('div', { class: 'alert__body' }, h('p', {}, t('audit.failed')))));
        return;
      }
      const summary = auditSummary(result);
      replace(runResult, h('div', { class: 'alert alert--success', testid: 'audit-result' }, icon('check'),
        h('div', { class: 'alert__body' }, h('p', {}, t('audit.done')), summary ? h('p', { class: 'muted' }, summary) : null)));
      toast(t('audit.done'), 'success');
      await list.reload();
    } catch (error) {
      if (error.name === 'AbortError') return;
      replace(runResult, errorAlert(error));
    } finally {
      runButton.disabled = false;
    }
  }

  function auditSummary(result) {
    if (!result || typeof result !== 'object') return null;
    const run = result.run || result;
    const parts = [];
    for (const key of ['devices_checked', 'raised', 'refreshed', 'resolved', 'failed_devices']) {
      if (typeof run[key] === 'number') parts.push(`${t(`audit.summary.${key}`)}: ${number(run[key])}`);
    }
    return parts.join(' · ') || null;
  }

  function missingNumbers(f) {
    const numbers = f.missing_receipt_numbers || [];
    if (!numbers.length) return '—';
    const total = Math.max(f.missing_count || 0, numbers.length);
    return h('div', { class: 'chips', testid: 'missing-receipt-numbers' },
      numbers.slice(0, SHOWN_NUMBERS).map((n) => h('code', { class: 'chip' }, n)),
      total > SHOWN_NUMBERS ? h('span', { class: 'muted small' }, t('audit.and_more', { n: total - Math.min(numbers.length, SHOWN_NUMBERS) })) : null);
  }

  function findingColumns() {
    const columns = [
      { label: t('audit.type'), className: 'cell-primary', cell: (f) => h('span', { class: 'pill pill--finding' }, translated('audit.types', f.type)) },
      {
        label: t('audit.pos'),
        cell: (f) => {
          const device = devicesById.get(f.pos_device_id);
          return device && !device.deleted_at ? h('a', { href: `#/pos/${encodeURIComponent(device.id)}` }, device.name) : deviceLabel(device);
        },
      },
      { label: t('audit.details'), cell: (f) => (f.details ? localText(f.details) : '—') },
      { label: t('audit.missing'), cell: missingNumbers },
      { label: t('audit.first_seen'), cell: (f) => timeEl(f.first_seen_at) },
      { label: t('audit.last_seen'), cell: (f) => timeEl(f.last_seen_at) },
    ];
    if (filters.status === 'resolved') columns.push({ label: t('audit.resolved_at'), cell: (f) => timeEl(f.resolved_at) });
    return columns;
  }

  await list.load();
}
