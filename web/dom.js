// Small DOM helpers: build elements without innerHTML (no injection from API data).

/**
 * h('a', {href: '#/pos', class: 'link', testid: 'x', onclick: fn}, 'text', child, [more])
 * - `testid` becomes data-testid, `dataset` fills data-*, `on<event>` adds listeners,
 * - `value`, `checked`, `selected`, `disabled`, `hidden` are set as properties,
 * - null/undefined/false attributes and children are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  const late = {};
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'testid') el.setAttribute('data-testid', value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked' || key === 'selected') late[key] = value;
    else if (key === 'disabled' || key === 'hidden' || key === 'required' || key === 'multiple') el[key] = Boolean(value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  for (const [key, value] of Object.entries(late)) el[key] = value;
  return el;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

let idCounter = 0;
export function uid(prefix = 'id') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}


/** Replace el's children with `children` (nested arrays, strings and nulls allowed). */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}
