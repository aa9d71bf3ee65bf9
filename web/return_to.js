// After a session expiry: remember where the user was and what they had typed, and bring both back
// after the next login (sessionStorage: this tab only, gone when the tab closes; passwords never kept).
const KEY = 'pos-backoffice.return-to';

function controls(root) {
  return [...root.querySelectorAll('input[name], select[name], textarea[name]')]
    .filter((el) => el.type !== 'password' && el.type !== 'hidden' && !el.disabled);
}

/** Keep the current place and the values typed into its forms (the page and any open dialog). */
export function rememberPlace() {
  const hash = window.location.hash.replace(/^#/, '');
  if (!hash || hash.startsWith('/login') || hash.startsWith('/signup')) return;
  const drafts = {};
  for (const el of [...controls(document.getElementById('main') || document.body), ...[...document.querySelectorAll('dialog[open]')].flatMap(controls)]) {
    if (el.type === 'checkbox') {
      if (el.dataset.multi) (drafts[el.name] = drafts[el.name] || []).push(...(el.checked ? [el.value] : []));
      else drafts[el.name] = el.checked;
    } else if (el.value !== '' && el.value !== el.defaultValue) {
      drafts[el.name] = el.value;
    }
  }
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ path: hash, drafts }));
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
  for (const el of controls(root)) {
    if (!(el.name in saved.drafts)) continue;
    const value = saved.drafts[el.name];
    if (el.type === 'checkbox') el.checked = el.dataset.multi ? value.includes(el.value) : Boolean(value);
    else el.value = value;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }
  return true;
}
