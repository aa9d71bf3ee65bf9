// The signed-in user's token, kept in localStorage so that a reload keeps the session.
const STORAGE_KEY = 'pos-backoffice.session';

export function getSession() {
  let session = null;
  try {
    session = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
  } catch {
    session = null;
  }
  if (!session || typeof session.token !== 'string' || !session.token) return null;
  if (session.expires_at && Date.parse(session.expires_at) <= Date.now()) {
    clearSession();
    return null;
  }
  return session;
}

export function setSession({ token, expires_at: expiresAt, employee, merchant }) {
  const session = { token, expires_at: expiresAt || null, employee: employee || null, merchant: merchant || null };
  localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  return session;
}

export function clearSession() {
  localStorage.removeItem(STORAGE_KEY);
}

export function isOwner() {
  return getSession()?.employee?.role === 'OWNER';
}

/** OWNER or ADMINISTRATOR: stores and employees management (DESIGN.md 3.2). The server refuses the rest anyway. */
export function isAdmin() {
  return ['OWNER', 'ADMINISTRATOR'].includes(getSession()?.employee?.role);
}
