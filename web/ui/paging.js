// Cursor paging for the list screens.
import { h } from '../dom.js';
import { t } from '../i18n/index.js';

/** Keeps the cursors of earlier pages so "Previous page" works too. */
export class CursorPager {
  constructor() {
    this.stack = [];
    this.current = null;
    this.next = null;
  }

  reset() {
    this.stack = [];
    this.current = null;
    this.next = null;
  }

  forward() {
    this.stack.push(this.current);
    this.current = this.next;
  }

  back() {
    this.current = this.stack.pop() ?? null;
  }

  get page() {
    return this.stack.length + 1;
  }

  controls(onChange) {
    if (!this.next && !this.stack.length) return null;
    return h('nav', { class: 'pager', 'aria-label': t('pager.label') },
      h('button', {
        type: 'button', class: 'button button--secondary', testid: 'prev-page', disabled: !this.stack.length,
        onclick: () => { this.back(); onChange(); },
      }, t('pager.previous')),
      h('span', { class: 'pager__page' }, t('pager.page', { n: this.page })),
      h('button', {
        type: 'button', class: 'button button--secondary', testid: 'next-page', disabled: !this.next,
        onclick: () => { this.forward(); onChange(); },
      }, t('pager.next')));
  }
}
