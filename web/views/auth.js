// Sign-up and login screens.
import { api } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { returnPath } from '../return_to.js';
import { setSession } from '../session.js';
import { field, formErrorSlot, selectField, submitForm } from '../ui/forms.js';
import { toast } from '../ui/toasts.js';
import { rules, validateWith } from '../ui/validation.js';
import { loadLimits } from '../limits.js';
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
  const formError = formErrorSlot();
  const button = h('button', { type: 'submit', class: 'button button--primary button--block', testid: submitTestId }, submitLabel);
  const form = h('form', { class: 'form', novalidate: true, testid }, fields, formError, button);
  return submitForm(form, { submitButton: button, formError, validate, submit, busyLabel: t('common.working') });
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
  const limits = await loadLimits();
  const form = authForm({
    testid: 'signup-form',
    submitLabel: t('auth.signup'),
    submitTestId: 'signup-submit',
    fields: [
      field({ name: 'business_name', label: t('auth.business_name'), autocomplete: 'organization', required: true, testid: 'signup-business-name' }),
      field({ name: 'email', label: t('auth.email'), type: 'email', autocomplete: 'email', required: true, testid: 'signup-email' }),
      field({ name: 'password', label: t('auth.password'), type: 'password', autocomplete: 'new-password', required: true, testid: 'signup-password', hint: t('auth.password_hint', { n: limits.passwordMin }) }),
      // Prices are shown in this currency (PLN by default for a Polish UI).
      selectField({
        name: 'currency', label: t('auth.currency'), testid: 'signup-currency', hint: t('auth.currency_hint'),
        value: defaultCurrency(), options: CURRENCIES.map((code) => ({ value: code, label: code })),
      }),
    ],
    validate: (v) => validateWith(v, {
      business_name: [rules.required, rules.maxLength(limits.businessName)],
      email: [rules.required, rules.email],
      password: [rules.required, rules.minLength(limits.passwordMin), rules.maxLength(limits.passwordMax)],
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
  const limits = await loadLimits();
  const token = query?.token || '';
  const form = authForm({
    testid: 'invitation-form',
    submitLabel: t('auth.invitation_submit'),
    submitTestId: 'invitation-submit',
    fields: [
      field({ name: 'password', label: t('auth.new_password'), type: 'password', autocomplete: 'new-password', required: true, testid: 'invitation-password', hint: t('auth.password_hint', { n: limits.passwordMin }) }),
    ],
    validate: (v) => validateWith(v, { password: [rules.required, rules.minLength(limits.passwordMin), rules.maxLength(limits.passwordMax)] }),
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
