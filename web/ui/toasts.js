// Short notices in the page's toast region (#toasts), gone after a few seconds.
import { h } from '../dom.js';

const SHOWN_MS = 5000;

export function toast(message, kind = 'info') {
  const region = document.getElementById('toasts');
  if (!region) return;
  const item = h('div', { class: `toast toast--${kind}`, testid: 'toast' }, message);
  region.append(item);
  setTimeout(() => {
    item.classList.add('toast--leaving');
    setTimeout(() => item.remove(), 300);
  }, SHOWN_MS);
}
