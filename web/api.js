// The one place that talks HTTP to the back-office API (docs/CONTRACT.md).
import { getLanguage, t } from './i18n/index.js';
// A cycle (limits.js reads the document through apiDocument below), safe: both sides use it only inside functions.
import { loadLimits } from './limits.js';
import { clearSession, getSession } from './session.js';

// Same origin by default. When the SPA is deployed as static files elsewhere, set
// <meta name="pos-api-base" content="https://api.example.com/"> in index.html.
function apiBase() {
  const configured = document.querySelector('meta[name="pos-api-base"]')?.getAttribute('content');
  return new URL(configured || '/', window.location.href);
}

export class ApiError extends Error {
  constructor(status, errors) {
    super(errors.map((e) => e.details).filter(Boolean).join(' ') || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.errors = errors;
  }

  get code() {
    return this.errors[0]?.code || null;
  }
}

let unauthorizedHandler = () => {};

/** What a conditional GET (`ifNoneMatch`) resolves with when the caller's copy is still current (304). */
export const NOT_MODIFIED = Symbol('not modified');

/** How often a live view (the POS list and card) asks whether its data changed: a 304 costs next to nothing. */
export const LIVE_POLL_MS = 5000;

/** Called once per 401 from an authenticated call: the session is over. */
export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

function buildUrl(path, query) {
  const url = new URL(path.replace(/^\/+/, ''), apiBase());
  for (const [key, value] of Object.entries(query || {})) {
    if (value === null || value === undefined || value === '' || value === false) continue;
    url.searchParams.set(key, String(value));
  }
  return url;
}

/**
 * request('GET', '/v1/stores', {query, body, signal, auth})
 * Resolves with the parsed JSON (or null for 204); rejects with ApiError carrying `errors[]`
 * in the API's shape, also for network failures (status 0). AbortError passes through.
 */
export async function request(method, path, { query, body, signal, auth = true, ifNoneMatch = null, onEtag = null } = {}) {
  // The API writes its sentences (errors, deletion steps, findings, events) in the UI's language.
  const headers = { Accept: 'application/json', 'Accept-Language': getLanguage() };
  if (ifNoneMatch) headers['If-None-Match'] = ifNoneMatch;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const session = getSession();
  if (auth && session) headers.Authorization = `Bearer ${session.token}`;

  let response;
  try {
    response = await fetch(buildUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, [{ code: 'NETWORK_ERROR', details: t('error.network'), field: null }]);
  }

  if (response.status === 304) return NOT_MODIFIED;
  if (onEtag && response.ok) onEtag(response.headers.get('ETag'));
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const errors = Array.isArray(data?.errors) && data.errors.length
      ? data.errors.map((e) => ({ code: e.code || 'ERROR', details: e.details || t('error.http', { status: response.status }), field: e.field ?? null }))
      : [{ code: `HTTP_${response.status}`, details: t('error.http', { status: response.status }), field: null }];
    if (response.status === 401 && auth) {
      clearSession();
      unauthorizedHandler(errors);
    }
    throw new ApiError(response.status, errors);
  }
  return data;
}

/** Log out on the server too (POST /v1/auth/logout ends the token at once); best effort, and its answer never
 * touches the session that may already have replaced this one. */
export function endSession() {
  const session = getSession();
  if (!session) return;
  fetch(buildUrl('/v1/auth/logout'), {
    method: 'POST', headers: { Authorization: `Bearer ${session.token}` }, cache: 'no-store', keepalive: true,
  }).catch(() => {});
}

/** A non-JSON answer (a CSV part): the Response itself; errors are thrown as for JSON calls. */
async function requestRaw(method, path, { query, signal } = {}) {
  const headers = { 'Accept-Language': getLanguage() };
  const session = getSession();
  if (session) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(buildUrl(path, query), { method, headers, signal, cache: 'no-store' });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, [{ code: 'NETWORK_ERROR', details: t('error.network'), field: null }]);
  }
  if (response.ok) return response;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  const errors = Array.isArray(data?.errors) && data.errors.length
    ? data.errors
    : [{ code: `HTTP_${response.status}`, details: t('error.http', { status: response.status }), field: null }];
  if (response.status === 401) {
    clearSession();
    unauthorizedHandler(errors);
  }
  throw new ApiError(response.status, errors);
}

export const api = {
  raw: (method, path, options) => requestRaw(method, path, options),
  get: (path, options) => request('GET', path, options),
  // Actions without a body (deactivate, audit runs) must send none: the API rejects an unexpected body.
  post: (path, body, options) => request('POST', path, { ...options, body }),
  patch: (path, body, options) => request('PATCH', path, { ...options, body }),
  del: (path, options) => request('DELETE', path, options),
};

let documentRequest = null;

/** The API's OpenAPI document (public, no token), one request per page load; a failed read is asked again. */
export function apiDocument() {
  if (!documentRequest) {
    documentRequest = request('GET', '/v1/openapi.json', { auth: false }).catch((error) => {
      documentRequest = null;
      throw error;
    });
  }
  return documentRequest;
}

/** Every item of a list endpoint, following `cursor` (for small lists: stores, employees, devices). */
export async function fetchAll(path, key, { query, signal, maxPages = 20 } = {}) {
  const { listLimitMax } = await loadLimits(); // the largest page the API serves: fewest requests
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page += 1) {
    const data = await api.get(path, { query: { ...query, limit: listLimitMax, cursor }, signal });
    items.push(...(data?.[key] || []));
    cursor = data?.cursor || null;
    if (!cursor) break;
  }
  return items;
}

/** Encode a path segment (ids are UUIDs, but never trust that). */
export function seg(value) {
  return encodeURIComponent(String(value));
}
