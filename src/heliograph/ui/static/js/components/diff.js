// Line diffs (two prompt versions' bodies): Myers' O(ND) algorithm, bounded in lines per
// side and in edits, drawn as a unified diff with context. Text nodes only.
import { h } from "../dom.js";

export const MAX_LINES = 5000;
export const MAX_EDITS = 1000;
const CONTEXT = 3;

// v[k] of step d, as saved before step d ran (k from -(d+1) to d+1).
const at = (saved, d, k) => saved[d][k + d + 1];

function backtrack(trace, a, b) {
  const edits = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const k = x - y;
    const down = k === -d || (k !== d && at(trace, d, k - 1) < at(trace, d, k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(trace, d, prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) edits.push({ op: " ", a: --x, b: --y });
    if (d > 0) edits.push(x === prevX ? { op: "+", a: null, b: --y } : { op: "-", a: --x, b: null });
    x = prevX;
    y = prevY;
  }
  return edits.reverse();
}

/** Myers' shortest edit script from `a` to `b` (arrays of lines), or null past MAX_EDITS. */
function myers(a, b) {
  const n = a.length;
  const m = b.length;
  const limit = Math.min(n + m, MAX_EDITS);
  const offset = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  const trace = [];
  for (let d = 0; d <= limit; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]);
      let x = down ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) { x++; y++; }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, a, b);
    }
  }
  return null;
}

/**
 * The line diff of `before` and `after` (texts): [{op: " " | "-" | "+", text, a, b}] with
 * 1-based line numbers (null on the side a line is not in), or null when the texts are
 * longer than MAX_LINES lines or differ by more than MAX_EDITS lines.
 */
export function diffLines(before, after) {
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.length > MAX_LINES || b.length > MAX_LINES) return null;
  // The common head and tail need no search (a usual edit changes a few lines in between).
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const middle = myers(a.slice(head, a.length - tail), b.slice(head, b.length - tail));
  if (middle === null) return null;
  const line = (op, i, j) => ({ op, text: i !== null ? a[i] : b[j], a: i === null ? null : i + 1, b: j === null ? null : j + 1 });
  const out = [];
  for (let i = 0; i < head; i++) out.push(line(" ", i, i));
  for (const edit of middle) {
    out.push(line(edit.op, edit.a === null ? null : edit.a + head, edit.b === null ? null : edit.b + head));
  }
  for (let t = tail; t > 0; t--) out.push(line(" ", a.length - t, b.length - t));
  return out;
}

function row(entry) {
  const kind = entry.op === "+" ? "add" : entry.op === "-" ? "del" : "same";
  return h("div", { class: ["diff-line", kind] },
    h("span", { class: "ln" }, entry.a ?? ""), h("span", { class: "ln" }, entry.b ?? ""),
    h("span", { class: "op", "aria-hidden": "true" }, entry.op),
    h("span", { class: "text" }, kind === "add" ? h("ins", {}, entry.text) : kind === "del" ? h("del", {}, entry.text) : entry.text));
}

/** A unified view of diffLines(before, after): changes with CONTEXT lines around them. */
export function diffView(before, after, { label = "Diff" } = {}) {
  const lines = diffLines(before, after);
  if (lines === null) {
    return h("p", { class: "notice", role: "status" },
      `Too large to compare line by line (more than ${MAX_LINES} lines, or ${MAX_EDITS} changed lines).`);
  }
  const added = lines.filter((l) => l.op === "+").length;
  const removed = lines.filter((l) => l.op === "-").length;
  if (!added && !removed) return h("p", { class: "muted", "data-testid": "diff-same" }, "The two versions are identical.");
  const near = new Set();
  lines.forEach((l, i) => {
    if (l.op === " ") return;
    for (let j = Math.max(0, i - CONTEXT); j <= Math.min(lines.length - 1, i + CONTEXT); j++) near.add(j);
  });
  const rows = [];
  let skipped = 0;
  lines.forEach((l, i) => {
    if (near.has(i)) {
      if (skipped) rows.push(h("div", { class: "diff-skip" }, `⋯ ${skipped} unchanged line${skipped === 1 ? "" : "s"}`));
      skipped = 0;
      rows.push(row(l));
    } else {
      skipped += 1;
    }
  });
  if (skipped) rows.push(h("div", { class: "diff-skip" }, `⋯ ${skipped} unchanged line${skipped === 1 ? "" : "s"}`));
  return h("div", { class: "stack" },
    h("p", { class: "muted", "data-testid": "diff-summary" }, h("span", { class: "badge ok" }, `+${added}`), " ",
      h("span", { class: "badge err" }, `−${removed}`), " lines"),
    h("div", { class: "diff", role: "group", "aria-label": label, "data-testid": "diff" }, rows));
}
