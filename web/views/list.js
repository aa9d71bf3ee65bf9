// The skeleton every list screen shares: header and intro, a filter bar, a table over one page of a
// cursor-paged API list, "Previous/Next page", and the loading, empty and error states.
import { api, LIVE_POLL_MS, NOT_MODIFIED } from '../api.js';
import { h, replace } from '../dom.js';
import { pageHeader } from '../ui/page.js';
import { CursorPager } from '../ui/paging.js';
import { empty as emptyState, errorAlert, loading } from '../ui/states.js';
import { table } from '../ui/tables.js';

/**
 * Build the page (synchronously; it shows "Loading…" until the first `load()`), then let the view load its
 * lookups, append its filter controls to `list.filterBar` and call `await list.load()`.
 *
 * - `testid`, `title`, `actions` (header buttons), `intro` (a sentence under the title),
 *   `before` (nodes between the intro and the filters, e.g. a create form);
 * - `filters`: the view's filter state, written to the address on each load (`setQuery`) and sent as the
 *   API query unless `query(filters)` says otherwise; `filterBar`: false for none, or the attributes of its box;
 * - `path`, `key`: the API list (`GET path` → `{[key]: [...], cursor}`);
 * - `table`: `{caption, testid, rowAttrs(item), columns}`; `columns` may be a function, called per render;
 * - `empty({filtered})`: the empty state's message (a string) or node; `filtered` is true when a filter
 *   is set or the page is not the first.
 */
export function listPage({
  main, signal, setQuery = null, testid, title, actions = [], intro = null, before = [],
  filters = null, filterBar = { role: 'search' }, path, key, query = null, table: tableSpec, empty, live = false,
}) {
  const pager = new CursorPager();
  if (live && signal) {
    // A live list (the POS list): every few seconds a conditional request; 304 while nothing changed.
    const timer = setInterval(() => { if (!document.hidden) load({ quiet: true }); }, LIVE_POLL_MS);
    signal.addEventListener('abort', () => clearInterval(timer));
  }
  const root = h('section', { class: 'page', testid });
  const bar = filterBar ? h('div', { class: 'filters', ...filterBar }) : null;
  const results = h('div', { class: 'results', 'aria-live': 'polite' }, loading());
  root.append(pageHeader(title, ...actions.filter(Boolean)), intro ? h('p', { class: 'page-intro muted' }, intro) : null);
  root.append(...before.filter(Boolean));
  if (bar) root.append(bar);
  root.append(results);
  main.append(root);

  let latest = 0; // a slow answer for an earlier filter never replaces a newer one
  let etag = null; // of the page shown: a live list asks with it and gets 304 while nothing changed

  async function load({ quiet = false } = {}) {
    const mine = ++latest;
    if (!quiet && setQuery && filters) setQuery(filters);
    if (!quiet) {
      results.setAttribute('aria-busy', 'true');
      replace(results, loading());
      etag = null;
    }
    try {
      const params = filters ? (query ? query(filters) : { ...filters }) : {};
      const data = await api.get(path, {
        signal, query: { ...params, cursor: pager.current }, ifNoneMatch: quiet ? etag : null,
        onEtag: (tag) => { etag = tag; },
      });
      if (mine !== latest || data === NOT_MODIFIED) return;
      if (quiet && results.contains(document.activeElement)) return; // never pull a row from under the keyboard
      pager.next = data.cursor || null;
      replace(results, render(data[key] || []));
    } catch (error) {
      if (error.name === 'AbortError' || mine !== latest || quiet) return;
      replace(results, errorAlert(error, { retry: load }));
    } finally {
      if (mine === latest) results.removeAttribute('aria-busy');
    }
  }

  function filtered() {
    return Object.values(filters || {}).some(Boolean) || pager.page > 1;
  }

  function render(items) {
    if (!items.length) {
      const shown = empty({ filtered: filtered() });
      return typeof shown === 'string' ? emptyState(shown) : shown;
    }
    const columns = typeof tableSpec.columns === 'function' ? tableSpec.columns() : tableSpec.columns;
    return [
      table({ caption: tableSpec.caption ?? title, testid: tableSpec.testid, items, columns, rowAttrs: tableSpec.rowAttrs }),
      pager.controls(load),
    ];
  }

  return {
    root,
    filterBar: bar,
    results,
    pager,
    load,
    /** Forget a load in flight (its answer is no longer wanted, e.g. the filter became invalid). */
    cancel() {
      latest += 1;
      results.removeAttribute('aria-busy');
    },
    /** Back to the first page and load (after a filter changed, or a row was added or removed). */
    reload() {
      pager.reset();
      return load();
    },
    /** An `onChange(value)` for a filter control: sets `filters[name]` and reloads from the first page. */
    setter(name) {
      return (value) => {
        filters[name] = value;
        pager.reset();
        load();
      };
    },
  };
}
