// "Integrations" (DESIGN.md 3.3, OWNER and ADMINISTRATOR): API access tokens and webhooks on one screen, and each
// webhook's delivery log on its own (#/integrations/webhooks/<id>). Secrets (a token, a webhook's signing secret)
// are in the create answer only: shown once, with a copy button, and never again.
import { api, seg } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime, timeEl, translated, yesNo } from '../format.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';
import {
  checkboxGroup, confirmDanger, empty, errorAlert, field, formDialog, loading, openDialog, pageHeader, rules,
  selectField, table, toast, validateWith,
} from '../ui.js';
import { loadLimits } from '../limits.js';
import { isAdmin } from '../session.js';
import { byId, loadStores } from './common.js';
import { listPage } from './list.js';

/** The contract's event types (chalicelib/api/schemas.py WebhookEventType), in its order. */
export const EVENT_TYPES = [
  'pos_device.created', 'pos_device.activated', 'pos_device.deactivated', 'pos_device.moved', 'pos_device.deleted',
  'pos_device.final_sync_closed', 'deletion.failed', 'receipts.created', 'shift.closed', 'audit.finding_raised',
  'audit.finding_resolved', 'webhook.test',
];
const ACCESS = ['READ', 'WRITE'];
const URL_RULE = (value) => (!value || /^https?:\/\/\S+$/i.test(String(value).trim()) ? null : t('integrations.url_invalid'));
const eventLabel = (type) => `${translated('integrations.event', type)} (${type})`;

/** A secret shown once: read-only, a copy button, and a sentence that it will not be shown again. */
function secretDialog({ title, text, secret, testid }) {
  return openDialog({
    title,
    testid,
    build: (close) => {
      const input = h('input', {
        type: 'text', readonly: true, value: secret, class: 'input secret', testid: 'secret-value',
        'aria-label': title, spellcheck: 'false', autocomplete: 'off',
      });
      return h('div', { class: 'dialog__form' },
        h('div', { class: 'dialog__body' },
          h('p', {}, text),
          h('div', { class: 'alert alert--warning', testid: 'secret-once' }, icon('warning'),
            h('div', { class: 'alert__body' }, h('p', {}, t('integrations.shown_once')))),
          input,
          h('button', {
            type: 'button', class: 'button button--secondary', testid: 'copy-secret',
            onclick: async () => {
              try {
                await navigator.clipboard.writeText(secret);
                toast(t('integrations.copied'), 'success');
              } catch {
                input.select(); // no clipboard (a plain-http origin): selected for Ctrl+C
                toast(t('integrations.copy_manually'));
              }
            },
          }, t('integrations.copy'))),
        h('div', { class: 'dialog__actions' },
          h('button', { type: 'button', class: 'button button--primary', testid: 'secret-done', autofocus: true, onclick: () => close(true) },
            t('integrations.secret_done'))));
    },
  });
}

function section(id, title, action, body) {
  return h('section', { class: 'card', 'aria-labelledby': id },
    h('div', { class: 'page-header' }, h('h2', { id, class: 'card__title' }, title), action),
    body);
}

export async function integrationsView({ main, signal }) {
  const root = h('section', { class: 'page', testid: 'integrations-page' });
  const tokensBox = h('div', { 'aria-live': 'polite', testid: 'tokens' }, loading());
  const hooksBox = h('div', { 'aria-live': 'polite', testid: 'webhooks' }, loading());
  const newToken = h('button', { type: 'button', class: 'button button--primary', testid: 'create-token', disabled: true, onclick: () => createToken() },
    icon('plus'), t('integrations.token_create'));
  const newHook = h('button', { type: 'button', class: 'button button--primary', testid: 'create-webhook', onclick: () => editWebhook(null) },
    icon('plus'), t('integrations.webhook_create'));
  // The menu offers this screen to an OWNER or ADMINISTRATOR only; anyone else who types the address gets the
  // server's refusal in the lists, and no buttons.
  const admin = isAdmin();
  root.append(
    pageHeader(t('integrations.title')),
    h('p', { class: 'page-intro muted' }, t('integrations.intro')),
    section('tokens-title', t('integrations.tokens_title'), admin ? newToken : null,
      [h('p', { class: 'muted' }, t('integrations.tokens_intro')), tokensBox]),
    section('webhooks-title', t('integrations.webhooks_title'), admin ? newHook : null,
      [h('p', { class: 'muted' }, t('integrations.webhooks_intro')), hooksBox]));
  main.append(root);

  let stores = [];
  let storesById = new Map();

  // Reads one list into its box; a failure shows there with a retry.
  const loaderOf = (box, path, key, render) => async function load() {
    try {
      const data = await api.get(path, { signal });
      replace(box, render(data[key] || []));
    } catch (error) {
      if (error.name !== 'AbortError') replace(box, errorAlert(error, { retry: load }));
    }
  };
  const loadTokens = loaderOf(tokensBox, '/v1/api_tokens', 'api_tokens', renderTokens);
  const loadHooks = loaderOf(hooksBox, '/v1/webhooks', 'webhooks', renderHooks);

  function renderTokens(tokens) {
    if (!tokens.length) return empty(t('integrations.tokens_empty'));
    return table({
      caption: t('integrations.tokens_title'),
      testid: 'tokens-table',
      items: tokens,
      rowAttrs: (x) => ({ testid: 'token-row', dataset: { tokenId: x.id } }),
      columns: [
        { label: t('integrations.name'), className: 'cell-primary', cell: (x) => h('span', { testid: 'token-name' }, x.name) },
        { label: t('integrations.access'), cell: (x) => h('span', { class: 'pill', testid: 'token-access' }, t(`integrations.access_${x.access}`)) },
        {
          label: t('integrations.stores'),
          cell: (x) => (x.store_ids?.length ? x.store_ids.map((id) => storesById.get(id)?.name || id).join(', ') : t('filters.all_stores')),
        },
        { label: t('integrations.created'), cell: (x) => timeEl(x.created_at) },
        { label: t('integrations.last_used'), cell: (x) => h('span', { testid: 'token-last-used' }, timeEl(x.last_used_at, 'integrations.never_used')) },
        {
          label: t('common.actions'),
          className: 'cell-actions',
          cell: (x) => h('button', {
            type: 'button', class: 'button button--danger-outline button--small', testid: 'revoke-token',
            'aria-label': t('integrations.revoke_named', { name: x.name }), onclick: () => revokeToken(x),
          }, t('integrations.revoke')),
        },
      ],
    });
  }

  function renderHooks(hooks) {
    if (!hooks.length) return empty(t('integrations.webhooks_empty'));
    return table({
      caption: t('integrations.webhooks_title'),
      testid: 'webhooks-table',
      items: hooks,
      rowAttrs: (w) => ({ testid: 'webhook-row', dataset: { webhookId: w.id } }),
      columns: [
        { label: t('integrations.url'), className: 'cell-primary', cell: (w) => h('span', { testid: 'webhook-url', class: 'break' }, w.url) },
        { label: t('integrations.events'), cell: (w) => h('span', { testid: 'webhook-events' }, w.event_types.map((e) => translated('integrations.event', e)).join(', ')) },
        {
          label: t('integrations.enabled'),
          cell: (w) => h('div', { testid: 'webhook-enabled' }, yesNo(w.enabled),
            w.disabled_reason ? h('p', { class: 'warn-text small', testid: 'webhook-disabled-reason' },
              t('integrations.disabled_by_system', { since: w.disabled_reason.since ? dateTime(w.disabled_reason.since) : '—' })) : null),
        },
        {
          label: t('common.actions'),
          className: 'cell-actions',
          cell: (w) => h('div', { class: 'row-actions' },
            h('a', { class: 'button button--secondary button--small', href: `#/integrations/webhooks/${seg(w.id)}`, testid: 'webhook-deliveries',
              'aria-label': t('integrations.deliveries_named', { url: w.url }) }, t('integrations.deliveries')),
            h('button', { type: 'button', class: 'button button--secondary button--small', testid: 'test-webhook',
              'aria-label': t('integrations.test_named', { url: w.url }), onclick: () => sendTest(w, signal) }, t('integrations.test')),
            h('button', { type: 'button', class: 'button button--secondary button--small', testid: 'edit-webhook',
              'aria-label': t('integrations.edit_named', { url: w.url }), onclick: () => editWebhook(w) }, icon('pencil'), t('common.edit')),
            h('button', { type: 'button', class: 'button button--danger-outline button--small', testid: 'delete-webhook',
              'aria-label': t('integrations.delete_named', { url: w.url }), onclick: () => deleteWebhook(w) }, icon('trash'),
            h('span', { class: 'hide-narrow' }, t('common.delete')))),
        },
      ],
    });
  }

  async function createToken() {
    const limits = await loadLimits();
    const created = await formDialog({
      title: t('integrations.token_create'),
      testid: 'token-dialog',
      submitTestId: 'token-dialog-save',
      submitLabel: t('integrations.token_create'),
      fields: () => [
        field({ name: 'name', label: t('integrations.name'), required: true, testid: 'token-name-input', inputAttrs: { maxlength: limits.apiTokenName, autofocus: true } }),
        selectField({
          name: 'access', label: t('integrations.access'), required: true, testid: 'token-access-input', value: 'READ',
          options: ACCESS.map((a) => ({ value: a, label: t(`integrations.access_${a}`) })), hint: t('integrations.access_hint'),
        }),
        checkboxGroup({
          name: 'store_ids', legend: t('integrations.token_stores'), emptyText: t('integrations.no_stores'),
          options: stores.map((s) => ({ value: s.id, label: s.name })),
        }),
        h('p', { class: 'field__hint' }, t('integrations.token_stores_hint')),
      ],
      validate: (v) => validateWith(v, { name: [rules.required, rules.maxLength(limits.apiTokenName)] }),
      submit: (v) => {
        const body = { name: v.name.trim(), access: v.access };
        if (v.store_ids?.length) body.store_ids = v.store_ids;
        return api.post('/v1/api_tokens', body, { signal });
      },
    });
    if (!created) return;
    await loadTokens();
    await secretDialog({
      title: t('integrations.token_created', { name: created.name }),
      text: t('integrations.token_created_text'),
      secret: created.token,
      testid: 'token-secret-dialog',
    });
  }

  async function revokeToken(token) {
    await confirmDanger({
      title: t('integrations.revoke_title'),
      question: t('integrations.revoke_question', { name: token.name }),
      confirmLabel: t('integrations.revoke'),
      confirmTestId: 'confirm-revoke-token',
      request: () => api.del(`/v1/api_tokens/${seg(token.id)}`, { signal }),
      doneMessage: t('integrations.revoked', { name: token.name }),
      after: loadTokens,
    });
  }

  async function editWebhook(hook) {
    const limits = await loadLimits();
    const creating = !hook;
    const saved = await formDialog({
      title: creating ? t('integrations.webhook_create') : t('integrations.webhook_edit'),
      testid: 'webhook-dialog',
      submitTestId: 'webhook-dialog-save',
      fields: () => [
        field({
          name: 'url', label: t('integrations.url'), type: 'url', required: true, value: hook?.url || '', testid: 'webhook-url-input',
          hint: t('integrations.url_hint'), inputAttrs: { maxlength: limits.webhookUrl, autofocus: true, placeholder: 'https://' },
        }),
        checkboxGroup({
          name: 'event_types', legend: t('integrations.events'), values: hook?.event_types || [],
          options: EVENT_TYPES.map((e) => ({ value: e, label: eventLabel(e) })),
        }),
        h('div', { class: 'field', dataset: { field: 'enabled' } },
          h('label', { class: 'checkbox' },
            h('input', { type: 'checkbox', name: 'enabled', testid: 'webhook-enabled-input', checked: hook ? hook.enabled : true }), ' ',
            t('integrations.enabled_label')),
          h('p', { class: 'field__error', testid: 'error-enabled', hidden: true })),
      ],
      validate: (v) => {
        const errors = validateWith(v, { url: [rules.required, URL_RULE] });
        if (!v.event_types?.length) errors.event_types = t('integrations.events_required');
        return errors;
      },
      submit: (v) => {
        const body = { url: v.url.trim(), event_types: v.event_types, enabled: v.enabled };
        return creating
          ? api.post('/v1/webhooks', body, { signal })
          : api.patch(`/v1/webhooks/${seg(hook.id)}`, body, { signal });
      },
    });
    if (!saved) return;
    await loadHooks();
    if (creating) {
      await secretDialog({
        title: t('integrations.webhook_created'),
        text: t('integrations.webhook_created_text'),
        secret: saved.secret,
        testid: 'webhook-secret-dialog',
      });
    } else {
      toast(t('integrations.webhook_saved'), 'success');
    }
  }

  async function deleteWebhook(hook) {
    await confirmDanger({
      title: t('integrations.webhook_delete_title'),
      question: t('integrations.webhook_delete_question', { url: hook.url }),
      confirmLabel: t('common.delete'),
      confirmTestId: 'confirm-delete-webhook',
      request: () => api.del(`/v1/webhooks/${seg(hook.id)}`, { signal }),
      doneMessage: t('integrations.webhook_deleted'),
      after: loadHooks,
    });
  }

  await Promise.all([loadHooks(), loadStores(signal).then((s) => {
    stores = s;
    storesById = byId(s);
    newToken.disabled = false;
    return loadTokens(); // with the stores' names
  })]);
}

async function sendTest(hook, signal, after = null) {
  try {
    await api.post(`/v1/webhooks/${seg(hook.id)}/test`, undefined, { signal });
    toast(t('integrations.test_sent'), 'success');
    if (after) await after();
  } catch (error) {
    if (error.name === 'AbortError') return;
    toast(error.message || t('error.unexpected'), 'error');
  }
}

/** One webhook's delivery log, newest first (`next_cursor`, also sent as `cursor`), with "send again". */
export async function deliveriesView({ main, params, signal, setQuery }) {
  const [webhookId] = params;
  const hook = await api.get(`/v1/webhooks/${seg(webhookId)}`, { signal }); // 404 → the router's "not found"
  const refresh = h('button', { type: 'button', class: 'button button--secondary', testid: 'refresh-deliveries', onclick: () => list.load() },
    icon('refresh'), t('integrations.refresh'));
  const test = h('button', { type: 'button', class: 'button button--primary', testid: 'test-webhook', onclick: () => sendTest(hook, signal, () => list.reload()) },
    t('integrations.test'));
  const list = listPage({
    main, signal, setQuery,
    testid: 'deliveries-page',
    title: t('integrations.deliveries_title'),
    actions: [refresh, test],
    intro: [t('integrations.deliveries_intro'), ' ', h('strong', { class: 'break', testid: 'deliveries-url' }, hook.url)],
    before: [
      h('p', {}, h('a', { href: '#/integrations', class: 'back-link', testid: 'back-to-integrations' }, icon('back'), t('integrations.back'))),
    ],
    filterBar: false,
    live: true,
    path: `/v1/webhooks/${seg(webhookId)}/deliveries`,
    key: 'deliveries',
    empty: () => t('integrations.deliveries_empty'),
    table: {
      caption: t('integrations.deliveries_title'),
      testid: 'deliveries-table',
      rowAttrs: (d) => ({ testid: 'delivery-row', dataset: { status: d.status, deliveryId: d.id } }),
      columns: [
        { label: t('integrations.time'), cell: (d) => timeEl(d.created_at) },
        { label: t('integrations.event_type'), className: 'cell-primary', cell: (d) => h('span', { testid: 'delivery-event' }, translated('integrations.event', d.event_type)) },
        {
          label: t('integrations.status'),
          cell: (d) => h('span', { class: `pill pill--delivery-${d.status.toLowerCase()}`, testid: 'delivery-status', dataset: { status: d.status } },
            translated('integrations.delivery_status', d.status)),
        },
        { label: t('integrations.attempts'), className: 'num', cell: (d) => h('span', { testid: 'delivery-attempts' }, String(d.attempts)) },
        {
          label: t('integrations.last_answer'),
          cell: (d) => h('span', { testid: 'delivery-answer' }, [d.last_status_code ? `HTTP ${d.last_status_code}` : null, d.last_error].filter(Boolean).join(' · ') || '—'),
        },
        {
          label: t('integrations.delivered_or_next'),
          cell: (d) => (d.delivered_at ? timeEl(d.delivered_at) : d.status === 'PENDING' && d.next_attempt_at
            ? [t('integrations.next_attempt'), ' ', timeEl(d.next_attempt_at)] : '—'),
        },
        {
          label: t('common.actions'),
          className: 'cell-actions',
          cell: (d) => h('button', {
            type: 'button', class: 'button button--secondary button--small', testid: 'resend-delivery',
            'aria-label': t('integrations.resend_named', { type: d.event_type }),
            onclick: async (event) => {
              event.currentTarget.disabled = true;
              try {
                await api.post(`/v1/webhooks/${seg(webhookId)}/deliveries/${seg(d.id)}/resend`, undefined, { signal });
                toast(t('integrations.resent'), 'success');
              } catch (error) {
                if (error.name === 'AbortError') return;
                toast(error.message || t('error.unexpected'), 'error');
              }
              await list.load();
            },
          }, icon('refresh'), t('integrations.resend')),
        },
      ],
    },
  });
  await list.load();
}
