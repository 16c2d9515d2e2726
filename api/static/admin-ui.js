// Building the page: elements from plain data. Text from documents or people is only ever set as text.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'testid') el.dataset.testid = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Replace a table's content: columns are [heading, row => cell content, className?].
export function fillTable(table, columns, rows, rowAttrs = () => ({})) {
  table.replaceChildren(
    h('thead', {}, h('tr', {}, columns.map(([heading, , cls]) => h('th', { scope: 'col', class: cls }, heading)))),
    h('tbody', {}, rows.map((row) => h('tr', rowAttrs(row), columns.map(([, cell, cls]) => h('td', { class: cls }, cell(row)))))),
  );
  if (!rows.length) table.tBodies[0].append(h('tr', {}, h('td', { colspan: columns.length }, 'Nothing yet.')));
}

export function when(seconds) {
  if (!seconds) return '';
  return new Date(seconds * 1000).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export function pct(x) {
  return x === null || x === undefined ? '' : `${Math.round(x * 100)}%`;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const tid = (name, root = document) => root.querySelector(`[data-testid="${name}"]`);
