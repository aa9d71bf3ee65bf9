// Entry point: header, hash router, session handling and language switching.
import { endSession, onUnauthorized } from './api.js';
import { installCharCounters } from './counter.js';
import { rememberPlace, restoreDrafts } from './return_to.js';
import { clear, h, replace } from './dom.js';
import { getLanguage, LANGUAGES, onLanguageChange, setLanguage, t } from './i18n/index.js';
import { icon } from './icons.js';
import { loadLimits } from './limits.js';
import { clearSession, getSession, isAdmin } from './session.js';
import { errorAlert } from './ui/states.js';
import { toast } from './ui/toasts.js';
import { invitationView, loginView, signupView } from './views/auth.js';
import { auditView } from './views/audit.js';
import { employeesView } from './views/employees.js';
import { eventsView } from './views/events.js';
import { deliveriesView, integrationsView } from './views/integrations.js';
import { posCreateView, posListView } from './views/pos_list.js';
import { posEditView } from './views/pos_edit.js';
import { receiptsView } from './views/receipts.js';
import { salesView } from './views/sales.js';
import { shiftsView } from './views/shifts.js';
import { storesView } from './views/stores.js';

const NAV = [
  { id: 'pos', href: '#/pos', key: 'nav.pos' },
  { id: 'sales', href: '#/sales', key: 'nav.sales' },
  { id: 'receipts', href: '#/receipts', key: 'nav.receipts' },
  { id: 'shifts', href: '#/shifts', key: 'nav.shifts' },
  { id: 'audit', href: '#/audit', key: 'nav.audit' },
  { id: 'events', href: '#/events', key: 'nav.events' },
  { id: 'stores', href: '#/stores', key: 'nav.stores' },
  { id: 'employees', href: '#/employees', key: 'nav.employees', admin: true },
  { id: 'integrations', href: '#/integrations', key: 'nav.integrations', admin: true },
];

const ROUTES = [
  { pattern: /^\/login$/, view: loginView, public: true },
  { pattern: /^\/signup$/, view: signupView, public: true },
  { pattern: /^\/invitation$/, view: invitationView, public: true },
  { pattern: /^\/pos$/, view: posListView, nav: 'pos' },
  { pattern: /^\/pos\/new$/, view: posCreateView, nav: 'pos' },
  { pattern: /^\/pos\/([^/]+)$/, view: posEditView, nav: 'pos' },
  { pattern: /^\/sales$/, view: salesView, nav: 'sales' },
  { pattern: /^\/receipts$/, view: receiptsView, nav: 'receipts' },
  { pattern: /^\/shifts$/, view: shiftsView, nav: 'shifts' },
  { pattern: /^\/audit$/, view: auditView, nav: 'audit' },
  { pattern: /^\/events$/, view: eventsView, nav: 'events' },
  { pattern: /^\/stores$/, view: storesView, nav: 'stores' },
  { pattern: /^\/employees$/, view: employeesView, nav: 'employees' },
  { pattern: /^\/integrations$/, view: integrationsView, nav: 'integrations' },
  { pattern: /^\/integrations\/webhooks\/([^/]+)$/, view: deliveriesView, nav: 'integrations' },
];

const header = document.getElementById('app-header');
const main = document.getElementById('main');
let activeController = null;
let renderedOnce = false;

function parseHash() {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const [path, queryString = ''] = raw.split('?');
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(queryString)) };
}

export function navigate(path, { replace = false } = {}) {
  const target = `#${path}`;
  if (window.location.hash === target) {
    render();
  } else if (replace) {
    window.history.replaceState(null, '', target);
    render();
  } else {
    window.location.hash = target;
  }
}

/** Keep filters in the address (so reload and sharing keep them) without re-rendering. */
export function setQuery(query) {
  const { path } = parseHash();
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== null && v !== undefined && v !== ''));
  const qs = params.toString();
  window.history.replaceState(null, '', `#${path}${qs ? `?${qs}` : ''}`);
}

function renderHeader(current) {
  const session = getSession();
  const langSelect = h('select', {
    id: 'lang-select', testid: 'lang-select', 'aria-label': t('header.language'),
    onchange: (event) => setLanguage(event.target.value), value: getLanguage(),
  }, LANGUAGES.map((l) => h('option', { value: l.code, lang: l.code }, l.label)));

  replace(header, 
    h('div', { class: 'app-header__bar' },
      h('a', { class: 'brand', href: session ? '#/pos' : '#/login' },
        h('img', { src: 'favicon.svg', alt: '', width: 28, height: 28 }),
        h('span', {}, t('app.title'))),
      h('div', { class: 'app-header__tools' },
        session ? h('span', { class: 'whoami', testid: 'whoami', title: session.employee?.email || '' },
          session.employee?.name || session.employee?.email || '',
          session.employee?.role ? h('span', { class: 'whoami__role' }, t(`role.${session.employee.role}`)) : null) : null,
        h('label', { class: 'lang' }, h('span', { class: 'visually-hidden' }, t('header.language')), langSelect),
        session ? h('button', { type: 'button', class: 'button button--ghost button--small', testid: 'logout', onclick: logout, 'aria-label': t('header.logout') },
          icon('logout'), h('span', { class: 'hide-narrow' }, t('header.logout'))) : null)),
    session ? h('nav', { class: 'app-nav', 'aria-label': t('nav.label') },
      // What the role cannot do is not offered (a MANAGER: no employees screen); the server refuses it anyway.
      h('ul', {}, NAV.filter((item) => !item.admin || isAdmin()).map((item) => h('li', {},
        h('a', { href: item.href, testid: `nav-${item.id}`, 'aria-current': item.id === current ? 'page' : null }, t(item.key)))))) : null,
  );
  const skip = document.querySelector('.skip-link');
  if (skip) skip.textContent = t('nav.skip');
  // On a narrow screen the current tab may sit past the edge: bring it into view.
  header.querySelector('.app-nav [aria-current="page"]')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
}

function logout() {
  endSession(); // the server ends the token too, even if it was copied
  clearSession();
  toast(t('auth.logged_out'));
  navigate('/login');
}

async function render() {
  if (activeController) activeController.abort();
  const controller = new AbortController();
  activeController = controller;

  const { path, query } = parseHash();
  const session = getSession();
  let route = null;
  let params = [];
  for (const candidate of ROUTES) {
    const match = candidate.pattern.exec(path);
    if (match) {
      route = candidate;
      params = match.slice(1).map(decodeURIComponent);
      break;
    }
  }
  if (!route) {
    navigate(session ? '/pos' : '/login', { replace: true });
    return;
  }
  if (!route.public && !session) {
    rememberPlace();
    navigate('/login', { replace: true });
    return;
  }
  if (route.public && session) {
    navigate('/pos', { replace: true });
    return;
  }

  document.title = `${t(route.nav ? `nav.${route.nav}` : `auth.${path.slice(1)}_title`)} · ${t('app.title')}`;
  renderHeader(route.nav);
  clear(main);
  main.setAttribute('aria-busy', 'true');
  try {
    await route.view({ main, params, query, signal: controller.signal, navigate, setQuery });
  } catch (error) {
    if (error.name === 'AbortError' || controller.signal.aborted) return;
    if (error.status === 404) {
      // A link to something that is not there (deleted, mistyped, another account's): trying again cannot help.
      replace(main, h('section', { class: 'page', testid: 'not-found' },
        h('h1', { tabindex: '-1', class: 'page-title' }, t('error.not_found_title')),
        errorAlert(error),
        h('p', {}, h('a', { href: route.nav ? `#/${route.nav}` : '#/pos', testid: 'not-found-back' }, t('error.not_found_back')))));
    } else {
      console.error(error);
      replace(main, errorAlert(error, { retry: render }));
    }
  } finally {
    if (activeController === controller) main.removeAttribute('aria-busy');
  }
  if (!controller.signal.aborted && !route.public) restoreDrafts(window.location.hash.replace(/^#/, ''), main);
  // After in-app navigation (not on the first load) the next Tab starts at "Skip to content", as after a page
  // load: focus goes to the top of the document (not to where the old page's control was), and the new
  // page's title is announced.
  // On the first load too: focusing the body resets the browser's sequential focus starting point, which a
  // reload may otherwise restore to the menu link used last (Chromium 150 does).
  if (!controller.signal.aborted && !main.contains(document.activeElement) && !document.querySelector('dialog[open]')
      && (renderedOnce || !document.activeElement || document.activeElement === document.body)) {
    document.body.setAttribute('tabindex', '-1');
    document.body.focus({ preventScroll: true });
    if (renderedOnce) {
      window.scrollTo(0, 0);
      const announcer = document.getElementById('route-announcer');
      if (announcer) announcer.textContent = document.title;
    }
  }
  renderedOnce = true;
}

let unauthorizedShown = false;
onUnauthorized(() => {
  // The API answered 401: the token expired or was revoked. Back to the login screen, once.
  if (unauthorizedShown) return;
  unauthorizedShown = true;
  setTimeout(() => { unauthorizedShown = false; }, 1000);
  rememberPlace(); // before the dialogs close: what was typed comes back after the next login
  for (const dialog of document.querySelectorAll('dialog')) dialog.close();
  toast(t('auth.session_expired'), 'error');
  navigate('/login');
});

onLanguageChange(() => render());
window.addEventListener('hashchange', render);
// Another tab signed in or out: follow it.
window.addEventListener('storage', (event) => {
  if (event.key === 'pos-backoffice.session') render();
});

installCharCounters(main);
loadLimits(); // the API's limits (limits.js): read alongside the first screen's own requests
render();
