// Tables that turn into stacked cards on narrow screens.
import { h } from '../dom.js';

/** columns: [{label, cell(item) -> node|string, className}] */
export function table({ columns, items, rowAttrs = () => ({}), caption = null, testid = 'table' }) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table', testid },
      caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.className }, c.label)))),
      h('tbody', {}, items.map((item) => h('tr', rowAttrs(item),
        columns.map((c) => h('td', { 'data-label': c.label, class: c.className }, c.cell(item))))))));
}
