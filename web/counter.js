// A live character counter for text inputs marked `data-max-chars="100"` (POS names and the like).
// The input is not cut at the limit (a pasted long name would be cut mid-word without a word): the
// counter turns red past it and the form's own check (rules.maxLength) refuses to send it.
import { h } from './dom.js';
import { t } from './i18n/index.js';

const length = (value) => [...String(value ?? '').trim()].length; // code points, as the API counts

function attach(input) {
  if (input.dataset.counterReady) return;
  input.dataset.counterReady = '1';
  const max = Number(input.dataset.maxChars);
  const counter = h('p', { class: 'field__counter', 'aria-live': 'polite', testid: `counter-${input.name}` });
  const update = () => {
    const n = length(input.value);
    counter.textContent = n > max ? t('form.counter_over', { n, max, over: n - max }) : t('form.counter', { n, max });
    counter.classList.toggle('field__counter--over', n > max);
  };
  input.addEventListener('input', update);
  input.after(counter);
  update();
}

/** Watch the page: every input with data-max-chars gets its counter as soon as a view renders it. */
export function installCharCounters(root = document.body) {
  root.querySelectorAll('input[data-max-chars]').forEach(attach);
  new MutationObserver(() => root.querySelectorAll('input[data-max-chars]:not([data-counter-ready])').forEach(attach))
    .observe(root, { childList: true, subtree: true });
}
