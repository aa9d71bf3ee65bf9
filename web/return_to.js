// After a session expiry: remember where the user was and what they had typed, and bring both back
// after the next login (sessionStorage: this tab only, gone when the tab closes; passwords never kept).
const KEY = 'pos-backoffice.return-to';

function controls(root) {
  return [...root.querySelectorAll('input[name], select[name], textarea[name]')]
    .filter((el) => el.type !== 'password' && el.type !== 'hidden' && !el.disabled);
}

function values(elements) {
  const drafts = {};
  for (const el of elements) {
    if (el.type === 'checkbox') {
      if (el.dataset.multi) (drafts[el.name] = drafts[el.name] || []).push(...(el.checked ? [el.value] : []));
      else drafts[el.name] = el.checked;
    } else if (el.value !== '' && el.value !== el.defaultValue) {
      drafts[el.name] = el.value;
    }
  }
  return drafts;
}

/**
 * Keep the current place and the values typed into its forms: the page's, and an open dialog's together with
 * the button that opened it (its data-testid and which of the page's buttons with that id it was), so that the
 * dialog opens again with its edits after the next login.
 */
export function rememberPlace() {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash || hash.startsWith('/login') || hash.startsWith('/signup')) return;
  const main = document.getElementById('main') || document.body;
  const drafts = values(controls(main));
  let dialog = null;
  const open = document.querySelector('dialog[open][data-opener]');
  if (open) {
    const openers = [...main.querySelectorAll(`[data-testid="${CSS.escape(open.dataset.opener)}"]`)];
    const index = openers.indexOf(open.openerElement);
    if (index !== -1) dialog = { opener: open.dataset.opener, index, drafts: values(controls(open)) };
  }
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ path: hash, drafts, dialog }));
  } catch {
    /* storage full or blocked: the login still works, it just lands on the list */
  }
}

function read() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch {
    return null;
  }
}

/** The path to go back to after a login (and keep the drafts for it), or null. */
export function returnPath() {
  return read()?.path || null;
}

/** Once the remembered page is rendered again: put the typed values back, then forget them. */
export function restoreDrafts(path, root) {
  const saved = read();
  if (!saved || saved.path !== path) return false;
  sessionStorage.removeItem(KEY);
  fill(controls(root), saved.drafts);
  if (saved.dialog) reopenDialog(root, saved.dialog);
  return true;
}

function fill(elements, drafts) {
  for (const el of elements) {
    if (!(el.name in drafts)) continue;
    const value = drafts[el.name];
    if (el.type === 'checkbox') el.checked = el.dataset.multi ? value.includes(el.value) : Boolean(value);
    else el.value = value;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }
}

/** Click the same button again and put the dialog's edits back once it is open (it may load first). */
function reopenDialog(root, { opener, index, drafts }) {
  const button = root.querySelectorAll(`[data-testid="${CSS.escape(opener)}"]`)[index];
  if (!button || button.disabled) return;
  const before = new Set(document.querySelectorAll('dialog'));
  button.click();
  const started = Date.now();
  const timer = setInterval(() => {
    const dialog = [...document.querySelectorAll('dialog[open]')].find((d) => !before.has(d));
    if (dialog) {
      clearInterval(timer);
      fill(controls(dialog), drafts);
    } else if (Date.now() - started > 10_000) {
      clearInterval(timer);
    }
  }, 50);
}
