// Data tables: sortable headers, clickable rows with a real link for keyboards, a pager.
import { h } from "../dom.js";
import { icon } from "../icons.js";
import { navigate } from "../router.js";

/**
 * columns: [{key, label, num, sortKey, render(row), className, plain}] (`plain`: never the row's link)
 * sort: {key, dir} | null; onSort(sortKey) toggles; rowHref(row) makes rows open a page.
 */
export function dataTable({ columns, rows, sort, onSort, rowHref, label, testid, rowClass }) {
  const head = h("tr", {}, columns.map((column) => {
    const sorted = sort && column.sortKey && sort.key === column.sortKey;
    const ariaSort = sorted ? (sort.dir === "asc" ? "ascending" : "descending") : undefined;
    const content = column.sortKey && onSort
      ? h("button", { type: "button", class: "sort", onclick: () => onSort(column.sortKey) },
          column.label, sorted ? icon(sort.dir === "asc" ? "chevronUp" : "chevronDown", 13) : null)
      : column.label;
    const th = h("th", { scope: "col", class: [column.num ? "num" : "", column.headClass || ""], "aria-sort": ariaSort }, content);
    return th;
  }));
  const linkAt = columns.findIndex((column) => !column.plain); // a checkbox column is no link
  const body = h("tbody", {}, rows.map((row) => {
    const href = rowHref ? rowHref(row) : null;
    const cells = columns.map((column, index) => {
      let value = column.render ? column.render(row) : row[column.key];
      if (index === linkAt && href) value = h("a", { href }, value ?? "—");
      return h("td", { class: [column.num ? "num" : "", column.className || ""] }, value ?? "—");
    });
    const tr = h("tr", { class: [href ? "clickable" : "", rowClass ? rowClass(row) : ""] }, cells);
    if (href) {
      tr.addEventListener("click", (event) => {
        if (event.target.closest("a, button, input, select, textarea")) return;
        if (window.getSelection && String(window.getSelection())) return;
        navigate(href);
      });
    }
    return tr;
  }));
  return h("div", { class: "table-wrap" },
    h("table", { class: "data", "aria-label": label || "Table", "data-testid": testid }, h("thead", {}, head), body));
}

/** Toggle helper: same key flips direction, a new key starts descending. */
export function nextSort(sort, key) {
  if (sort && sort.key === key) return { key, dir: sort.dir === "desc" ? "asc" : "desc" };
  return { key, dir: "desc" };
}

export function parseSort(text, fallback) {
  if (!text) return fallback;
  const at = text.lastIndexOf(":");
  if (at < 1) return fallback;
  const dir = text.slice(at + 1) === "asc" ? "asc" : "desc";
  return { key: text.slice(0, at), dir };
}

export function encodeSort(sort) {
  return sort ? `${sort.key}:${sort.dir}` : null;
}

/** Previous / next paging: `hasNext` comes from asking for one row more than a page. */
export function pager({ page, size, shown, hasNext, onPage, onSize, sizes = [25, 50, 100] }) {
  const first = shown ? page * size + 1 : 0;
  // A new page starts at its top: the pager sits below the rows, where the click left the view.
  const turn = (next) => { onPage(next); window.scrollTo(0, 0); };
  return h("div", { class: "pager" },
    h("span", { class: "muted", "data-testid": "pager-info" }, shown ? `Showing ${first}–${first + shown - 1}` : "Nothing to show"),
    h("span", { class: "row" },
      onSize ? h("label", { class: "row muted" }, "Rows",
        h("select", { "aria-label": "Rows per page", onchange: (e) => onSize(Number(e.target.value)) },
          sizes.map((n) => h("option", { value: n, selected: n === size }, String(n))))) : null,
      h("button", { type: "button", disabled: page === 0, onclick: () => turn(page - 1), "aria-label": "Previous page" }, "Previous"),
      h("span", { class: "muted" }, `Page ${page + 1}`),
      h("button", { type: "button", disabled: !hasNext, onclick: () => turn(page + 1), "aria-label": "Next page" }, "Next")));
}
