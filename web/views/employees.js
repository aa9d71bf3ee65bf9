// "Employees": list, add, change, remove, invite to the back office, revoke access (OWNER and ADMINISTRATOR; an
// administrator cannot change the owner or another administrator: the buttons are not shown, the API refuses it).
import { api, seg } from '../api.js';
import { h } from '../dom.js';
import { yesNo } from '../format.js';
import { t } from '../i18n/index.js';
import { icon } from '../icons.js';
import { loadLimits } from '../limits.js';
import { getSession, isAdmin, isOwner } from '../session.js';
import { checkboxGroup, confirmDanger, confirmDialog, field, formDialog, rules, selectField, toast, validateWith } from '../ui.js';
import { byId, loadStores } from './common.js';
import { listPage } from './list.js';

const ROLES = ['OWNER', 'ADMINISTRATOR', 'MANAGER', 'CASHIER'];
const PROTECTED = ['OWNER', 'ADMINISTRATOR'];

export async function employeesView({ main, signal }) {
  const owner = isAdmin(); // may manage employees
  const realOwner = isOwner();
  // An administrator may not change the owner or another administrator (nor make one).
  const mayChange = (e) => realOwner || !PROTECTED.includes(e.role) || (e.id === getSession()?.employee?.id);
  const grantable = ROLES.filter((r) => realOwner || r !== 'ADMINISTRATOR');
  // Disabled until the stores are loaded: the form lists them (a click before that used to throw).
  const addButton = owner
    ? h('button', { type: 'button', class: 'button button--primary', testid: 'add-employee', disabled: true, onclick: () => edit(null) }, icon('plus'), t('employees.add'))
    : null;
  let storesById = new Map();
  let stores = [];
  let limits = null; // the API's (../limits.js), read with the stores before any form can open
  const list = listPage({
    main, signal,
    testid: 'employees-page',
    title: t('employees.title'),
    actions: [addButton],
    intro: owner ? t('employees.intro') : t('employees.intro_read_only'),
    filterBar: false,
    path: '/v1/employees',
    key: 'employees',
    empty: () => t('employees.empty'),
    table: { testid: 'employees-table', rowAttrs: (e) => ({ testid: 'employee-row', dataset: { employeeId: e.id } }), columns: employeeColumns },
  });

  [stores, limits] = await Promise.all([loadStores(signal), loadLimits()]);
  storesById = byId(stores);
  if (addButton) addButton.disabled = false;

  async function edit(employee) {
    const creating = !employee;
    const result = await formDialog({
      title: creating ? t('employees.create_title') : t('employees.edit_title'),
      testid: 'employee-dialog',
      submitTestId: 'employee-dialog-save',
      fields: () => [
        field({ name: 'name', label: t('employees.name'), value: employee?.name || '', required: true, testid: 'employee-name', inputAttrs: { maxlength: limits.employeeName, autofocus: true } }),
        field({ name: 'email', label: t('employees.email'), type: 'email', value: employee?.email || '', testid: 'employee-email', autocomplete: 'off', hint: t('employees.email_hint') }),
        selectField({
          name: 'role', label: t('employees.role'), required: true, testid: 'employee-role', value: employee?.role || 'CASHIER',
          options: (employee && !grantable.includes(employee.role) ? [employee.role, ...grantable] : grantable)
            .map((r) => ({ value: r, label: t(`role.${r}`) })),
        }),
        checkboxGroup({
          name: 'store_ids', legend: t('employees.stores'), values: employee?.store_ids || [], emptyText: t('employees.no_stores'),
          options: stores.map((s) => ({ value: s.id, label: s.name })),
        }),
        field({
          name: 'pin', label: t('employees.pin'), type: 'password', testid: 'employee-pin', autocomplete: 'off',
          hint: employee?.has_pin ? t('employees.pin_keep') : t('employees.pin_hint'),
          inputAttrs: { inputmode: 'numeric', maxlength: 4, pattern: '[0-9]{4}' },
        }),
      ],
      validate: (v) => {
        const errors = validateWith(v, {
          name: [rules.required, rules.maxLength(limits.employeeName)],
          email: [rules.email],
          pin: [rules.pin],
        });
        return errors;
      },
      submit: (v) => {
        const body = { name: v.name.trim(), role: v.role, store_ids: v.store_ids || [] };
        if (v.email.trim()) body.email = v.email.trim();
        if (v.pin) body.pin = v.pin;
        return creating
          ? api.post('/v1/employees', body, { signal })
          : api.patch(`/v1/employees/${seg(employee.id)}`, body, { signal });
      },
    });
    if (result) {
      toast(t(creating ? 'employees.created' : 'employees.updated', { name: result.name }), 'success');
      await list.load();
    }
  }

  async function remove(employee) {
    await confirmDanger({
      title: t('employees.delete_title'),
      question: t('employees.delete_question', { name: employee.name }),
      confirmLabel: t('common.delete'),
      confirmTestId: 'confirm-delete-employee',
      request: () => api.del(`/v1/employees/${seg(employee.id)}`, { signal }),
      doneMessage: t('employees.deleted', { name: employee.name }),
      after: () => list.reload(),
    });
  }

  // Nobody types another person's password: an invitation link lets the employee set their own (72 h, once).
  async function invite(employee) {
    let invitation = null;
    try {
      invitation = await api.post(`/v1/employees/${seg(employee.id)}/invitation`, undefined, { signal });
    } catch (error) {
      toast(error.message || String(error), 'error');
      return;
    }
    if (invitation.sent_to) { // e-mailed (a mail sender is configured): the inviter never holds the link
      toast(t('employees.invitation_sent', { email: invitation.sent_to }), 'success');
      await list.load();
      return;
    }
    const link = h('input', { type: 'text', readonly: true, value: invitation.invitation_url, testid: 'invitation-link', 'aria-label': t('employees.invitation_link'), class: 'input' });
    await confirmDialog({
      title: t('employees.invitation_title', { name: employee.name }),
      testid: 'invitation-dialog',
      message: h('div', {},
        h('p', {}, t('employees.invitation_text', { email: employee.email || '' })),
        h('label', { class: 'field' }, h('span', { class: 'field__label' }, t('employees.invitation_link')), link),
        h('p', { class: 'muted' }, t('employees.invitation_expires', { at: new Date(invitation.expires_at).toLocaleString() }))),
      confirmLabel: t('employees.copy_link'),
      confirmTestId: 'copy-invitation',
      onConfirm: async () => {
        try { await navigator.clipboard.writeText(invitation.invitation_url); toast(t('employees.link_copied'), 'success'); } catch { link.select(); }
        return true;
      },
    });
    await list.load();
  }

  async function revoke(employee) {
    await confirmDanger({
      title: t('employees.revoke_title'),
      question: t('employees.revoke_question', { name: employee.name }),
      confirmLabel: t('employees.revoke'),
      confirmTestId: 'confirm-revoke-access',
      request: () => api.del(`/v1/employees/${seg(employee.id)}/access`, { signal }),
      doneMessage: t('employees.revoked', { name: employee.name }),
      after: () => list.load(),
    });
  }

  function accessCell(e) {
    const state = e.access || 'NONE';
    const label = t(`employees.access.${state}`);
    return h('span', { class: `pill pill--access-${state.toLowerCase()}`, testid: 'employee-access' },
      state === 'INVITED' && e.invitation_expires_at ? `${label} (${t('employees.until', { at: new Date(e.invitation_expires_at).toLocaleString() })})` : label);
  }

  function employeeColumns() {
    const me = getSession()?.employee?.id;
    const columns = [
      { label: t('employees.name'), className: 'cell-primary', cell: (e) => [e.name, e.id === me ? [' ', h('span', { class: 'pill' }, t('employees.you'))] : null] },
      { label: t('employees.email'), cell: (e) => e.email || h('span', { class: 'muted' }, '—') },
      { label: t('employees.role'), cell: (e) => h('span', { class: `pill pill--role-${e.role.toLowerCase()}` }, t(`role.${e.role}`)) },
      {
        label: t('employees.stores'),
        cell: (e) => {
          if (e.store_ids?.length) return e.store_ids.map((id) => storesById.get(id)?.name || id).join(', ');
          return h('span', { class: 'muted' }, e.role === 'OWNER' ? t('filters.all_stores') : '—');
        },
      },
      { label: t('employees.pin_set'), cell: (e) => yesNo(e.has_pin) },
      { label: t('employees.access_label'), cell: accessCell },
    ];
    if (owner) {
      columns.push({
        label: t('common.actions'),
        className: 'cell-actions',
        cell: (e) => (!mayChange(e) ? h('span', { class: 'muted' }, '—') : h('div', { class: 'row-actions' },
          h('button', { type: 'button', class: 'button button--secondary button--small', testid: 'edit-employee', onclick: () => edit(e) }, icon('pencil'), t('common.edit')),
          e.id !== me && e.access !== 'ACTIVE' && e.email && e.role !== 'CASHIER' ? h('button', {
            type: 'button', class: 'button button--secondary button--small', testid: 'invite-employee', 'aria-label': t('employees.invite_named', { name: e.name }), onclick: () => invite(e),
          }, t('employees.invite')) : null,
          e.id !== me && e.role !== 'OWNER' && e.access !== 'NONE' ? h('button', {
            type: 'button', class: 'button button--danger-outline button--small', testid: 'revoke-access', 'aria-label': t('employees.revoke_named', { name: e.name }), onclick: () => revoke(e),
          }, t('employees.revoke')) : null,
          e.id !== me ? h('button', {
            type: 'button', class: 'button button--danger-outline button--small', testid: 'delete-employee', 'aria-label': t('employees.delete_named', { name: e.name }), onclick: () => remove(e),
          }, icon('trash'), h('span', { class: 'hide-narrow' }, t('common.delete'))) : null)),
      });
    }
    return columns;
  }

  await list.load();
}
