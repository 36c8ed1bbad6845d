// A sortable table that re-renders its rows on every update and keeps the
// operator's sort. Columns: { id, title, value(row), render?(row), numeric? }.
import { clear, h } from './dom.js';

export class SortableTable {
  constructor({ columns, key, empty = 'Nothing here yet.', sort, caption }) {
    this.columns = columns;
    this.key = key;
    this.empty = empty;
    this.sort = sort ?? { id: columns[0].id, dir: 1 };
    this.rows = [];
    this.head = h('tr');
    this.body = h('tbody');
    this.el = h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        caption ? h('caption', {}, caption) : null,
        h('thead', {}, this.head),
        this.body,
      ),
    );
    this.renderHead();
  }

  renderHead() {
    clear(this.head);
    for (const column of this.columns) {
      const sortable = column.sortable !== false;
      const active = this.sort.id === column.id;
      const th = h(
        'th',
        {
          class: `${column.numeric ? 'num' : ''} ${sortable ? 'sortable' : ''}`,
          'aria-sort': active ? (this.sort.dir > 0 ? 'ascending' : 'descending') : null,
          dataset: { col: column.id },
        },
        sortable
          ? h(
              'button',
              { type: 'button', onclick: () => this.sortBy(column.id) },
              column.title,
              h('span', { class: 'arrow' }, active ? (this.sort.dir > 0 ? '▲' : '▼') : ''),
            )
          : column.title,
      );
      this.head.append(th);
    }
  }

  sortBy(id) {
    this.sort = this.sort.id === id ? { id, dir: -this.sort.dir } : { id, dir: 1 };
    this.renderHead();
    this.update(this.rows);
  }

  update(rows) {
    this.rows = rows;
    const column = this.columns.find((c) => c.id === this.sort.id) ?? this.columns[0];
    const sorted = [...rows].sort(
      (a, b) => compare(column.value(a), column.value(b)) * this.sort.dir,
    );
    clear(this.body);
    if (sorted.length === 0) {
      this.body.append(
        h('tr', { class: 'empty' }, h('td', { colspan: this.columns.length }, this.empty)),
      );
      return;
    }
    for (const row of sorted) {
      const tr = h('tr', { dataset: { key: this.key(row) } });
      for (const c of this.columns) {
        const content = c.render ? c.render(row) : c.value(row);
        tr.append(h('td', { class: c.numeric ? 'num' : '', dataset: { col: c.id } }, content));
      }
      this.body.append(tr);
    }
  }
}

function compare(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a ?? '').localeCompare(String(b ?? ''), undefined, { numeric: true });
}
