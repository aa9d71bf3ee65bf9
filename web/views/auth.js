// Sign-up and login screens.
import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { returnPath } from '../return_to.js';
import { setSession } from '../session.js';
import { clearFormErrors, field, formValues, rules, selectField, showApiErrors, showFieldErrors, toast, validateWith } from '../ui.js';
import { CURRENCIES, defaultCurrency } from '../currency.js';

function authCard({ title, intro, form, footer }) {
  return h('section', { class: 'auth' },
    h('div', { class: 'auth__card card' },
      h('h1', { tabindex: '-1' }, title),
      intro ? h('p', { class: 'muted' }, intro) : null,
      form,
      h('p', { class: 'auth__footer' }, footer)));
}

function authForm({ testid, fields, submitLabel, submitTestId, validate, submit }) {
  const formError = h('div', { class: 'form-error', 'aria-live': 'assertive' });
  const button = h('button', { type: 'submit', class: 'button button--primary button--block', testid: submitTestId }, submitLabel);
  const form = h('form', { class: 'form', novalidate: true, testid }, fields, formError, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFormErrors(form, formError);
    const values = formValues(form);
    if (showFieldErrors(form, validate(values))) return;
    button.disabled = true;
    button.textContent = t('common.working');
    try {
      await submit(values);
    } catch (error) {
      showApiErrors(form, formError, error);
    } finally {
      button.disabled = false;
      button.textContent = submitLabel;
    }
  });
  return form;
}

export async function loginView({ main, navigate }) {
  const form = authForm({
    testid: 'login-form',
    submitLabel: t('auth.login'),
    submitTestId: 'login-submit',
    fields: [
      field({ name: 'email', label: t('auth.email'), type: 'email', autocomplete: 'username', required: true, testid: 'login-email' }),
      field({ name: 'password', label: t('auth.password'), type: 'password', autocomplete: 'current-password', required: true, testid: 'login-password' }),
    ],
    validate: (v) => validateWith(v, { email: [rules.required, rules.email], password: [rules.required] }),
    submit: async (v) => {
      const result = await api.post('/v1/auth/login', { email: v.email.trim(), password: v.password }, { auth: false });
      setSession(result);
      toast(t('auth.welcome', { name: result.employee?.name || result.employee?.email || '' }));
      navigate(returnPath() || '/pos'); // back where the expired session left off
    },
  });
  main.append(authCard({
    title: t('auth.login_title'),
    intro: t('auth.login_intro'),
    form,
    footer: [t('auth.no_account'), ' ', h('a', { href: '#/signup', testid: 'to-signup' }, t('auth.signup_link'))],
  }));
}

export async function signupView({ main, navigate }) {
  const form = authForm({
    testid: 'signup-form',
    submitLabel: t('auth.signup'),
    submitTestId: 'signup-submit',
    fields: [
      field({ name: 'business_name', label: t('auth.business_name'), autocomplete: 'organization', required: true, testid: 'signup-business-name' }),
      field({ name: 'email', label: t('auth.email'), type: 'email', autocomplete: 'email', required: true, testid: 'signup-email' }),
      field({ name: 'password', label: t('auth.password'), type: 'password', autocomplete: 'new-password', required: true, testid: 'signup-password', hint: t('auth.password_hint') }),
      // Prices are shown in this currency (PLN by default for a Polish UI).
      selectField({
        name: 'currency', label: t('auth.currency'), testid: 'signup-currency', hint: t('auth.currency_hint'),
        value: defaultCurrency(), options: CURRENCIES.map((code) => ({ value: code, label: code })),
      }),
    ],
    validate: (v) => validateWith(v, {
      business_name: [rules.required, rules.maxLength(100)],
      email: [rules.required, rules.email],
      password: [rules.required, rules.minLength(8), rules.maxLength(128)],
    }),
    submit: async (v) => {
      const result = await api.post('/v1/signup', { business_name: v.business_name.trim(), email: v.email.trim(), password: v.password, currency: v.currency }, { auth: false });
      setSession(result);
      toast(t('auth.signed_up', { name: result.merchant?.business_name || '' }), 'success');
      navigate('/pos');
    },
  });
  main.append(authCard({
    title: t('auth.signup_title'),
    intro: t('auth.signup_intro'),
    form,
    footer: [t('auth.have_account'), ' ', h('a', { href: '#/login', testid: 'to-login' }, t('auth.login_link'))],
  }));
}

// The invitation link (#/invitation?token=…): the invited employee sets their own password and is signed in.
export async function invitationView({ main, navigate, query }) {
  const token = query?.token || '';
  const form = authForm({
    testid: 'invitation-form',
    submitLabel: t('auth.invitation_submit'),
    submitTestId: 'invitation-submit',
    fields: [
      field({ name: 'password', label: t('auth.new_password'), type: 'password', autocomplete: 'new-password', required: true, testid: 'invitation-password', hint: t('auth.password_hint') }),
    ],
    validate: (v) => validateWith(v, { password: [rules.required, rules.minLength(8), rules.maxLength(128)] }),
    submit: async (v) => {
      const result = await api.post('/v1/invitations/accept', { token, password: v.password }, { auth: false });
      setSession(result);
      toast(t('auth.welcome', { name: result.employee?.name || result.employee?.email || '' }), 'success');
      navigate('/pos');
    },
  });
  main.append(authCard({
    title: t('auth.invitation_title'),
    intro: t('auth.invitation_intro'),
    form,
    footer: [t('auth.have_account'), ' ', h('a', { href: '#/login', testid: 'to-login' }, t('auth.login_link'))],
  }));
}
