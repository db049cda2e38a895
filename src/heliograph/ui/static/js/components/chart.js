// Hand-drawn SVG charts: time series as lines, areas or bars, with axes, a legend and a
// tooltip that follows the pointer. Redrawn on resize and on a theme change.
import { h, svg } from "../dom.js";

const PAD = { top: 12, right: 12, bottom: 26, left: 52 };
const COLORS = ["var(--chart-1)", "var(--chart-2)", "var(--chart-3)", "var(--chart-4)", "var(--chart-5)"];

/** Round tick values covering [0, max]. */
export function niceTicks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) || rough;
  const ticks = [];
  for (let value = 0; value <= max + step * 1e-9; value += step) ticks.push(value);
  if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

function timeLabel(date, spanMs) {
  if (spanMs <= 20 * 3600e3) return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  if (spanMs <= 2 * 86400e3) return date.toLocaleString(undefined, { weekday: "short", hour: "2-digit", minute: "2-digit" });
  return date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
}

/**
 * series: [{name, values: [number|null]}] over shared `times` (Dates);
 * kind: "line" | "area" | "bar"; format(value) for axis and tooltip.
 */
export function timeChart({ times, series, kind = "line", format = String, height = 200, label = "Chart", emptyText = "No data in this range" }) {
  if (!series.some((s) => s.values.some((v) => v !== null && Number.isFinite(v)))) {
    const note = h("div", { class: "chart-empty muted", role: "img", "aria-label": `${label}: ${emptyText}` }, emptyText);
    note.style.height = `${height}px`;
    return note;
  }
  const box = h("div", { class: "chart", role: "img", "aria-label": label });
  const tip = h("div", { class: "chart-tip hidden", "aria-hidden": "true" });
  const legend = series.length > 1
    ? h("div", { class: "legend" }, series.map((s, i) => h("span", {}, h("span", { class: "swatch", style: { background: COLORS[i % COLORS.length] } }), s.name)))
    : null;
  const holder = h("div");
  box.append(holder, tip);
  const outer = h("div", {}, box, legend);

  const draw = () => {
    const width = Math.max(240, box.clientWidth || 600);
    const plotW = width - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const n = times.length;
    const max = Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null && Number.isFinite(v))));
    const ticks = niceTicks(max);
    const top = ticks[ticks.length - 1] || 1;
    const slot = n > 0 ? plotW / n : plotW;
    const x = (i) => PAD.left + (kind === "bar" ? slot * i + slot / 2 : n > 1 ? (plotW * i) / (n - 1) : plotW / 2);
    const y = (v) => PAD.top + plotH - (plotH * v) / top;
    const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}` });
    for (const tick of ticks) {
      root.append(
        svg("line", { class: "grid-line", x1: PAD.left, x2: width - PAD.right, y1: y(tick), y2: y(tick) }),
        svg("text", { class: "axis-label", x: PAD.left - 6, y: y(tick) + 4, "text-anchor": "end" }, format(tick)),
      );
    }
    const span = n > 1 ? times[n - 1] - times[0] : 0;
    // A label where the label changes (hour buckets labelled by day: at each new day), every
    // k-th of those so they fit, the first and last anchored inside the chart.
    const texts = times.map((t) => timeLabel(t, span));
    const widest = Math.max(0, ...texts.map((t) => t.length)) * 7; // px, at the axis's 11-12 px
    const room = Math.max(2, Math.floor(plotW / Math.max(90, widest * 1.5)));
    const changes = texts.map((_, i) => i).filter((i) => i === 0 || texts[i] !== texts[i - 1]);
    const every = Math.max(1, Math.ceil(changes.length / room));
    const shown = changes.filter((_, k) => k % every === 0);
    shown.forEach((i, k) => {
      const anchor = k === 0 ? "start" : k === shown.length - 1 ? "end" : "middle";
      root.append(svg("text", { class: "axis-label", x: x(i), y: height - 6, "text-anchor": anchor }, texts[i]));
    });
    series.forEach((s, si) => {
      const color = COLORS[si % COLORS.length];
      if (kind === "bar") {
        const barW = Math.max(1, (slot * 0.8) / series.length);
        s.values.forEach((v, i) => {
          if (!v) return;
          const left = PAD.left + slot * i + slot * 0.1 + barW * si;
          root.append(svg("rect", { x: left, y: y(v), width: barW, height: Math.max(0, y(0) - y(v)), rx: Math.min(2, barW / 2), style: { fill: color } }));
        });
        return;
      }
      const points = s.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : [x(i), y(v)]));
      let d = "";
      let pen = false;
      points.forEach((p) => {
        if (!p) { pen = false; return; }
        d += `${pen ? "L" : "M"}${p[0].toFixed(1)},${p[1].toFixed(1)}`;
        pen = true;
      });
      if (kind === "area" && points.every(Boolean) && points.length) {
        const area = `${d}L${points[points.length - 1][0].toFixed(1)},${y(0)}L${points[0][0].toFixed(1)},${y(0)}Z`;
        root.append(svg("path", { d: area, style: { fill: color, fillOpacity: 0.14, stroke: "none" } }));
      }
      root.append(svg("path", { d, fill: "none", style: { stroke: color }, "stroke-width": 2, "stroke-linejoin": "round", "stroke-linecap": "round" }));
      // A point with no drawn neighbour would be invisible as a path: mark it with a dot.
      points.forEach((p, i) => {
        if (p && (n <= 2 || (!points[i - 1] && !points[i + 1]))) {
          root.append(svg("circle", { cx: p[0], cy: p[1], r: 3, style: { fill: color } }));
        }
      });
    });
    const guide = svg("line", { class: "guide", y1: PAD.top, y2: PAD.top + plotH, visibility: "hidden" });
    const dots = series.map((_, si) => svg("circle", { r: 3.5, style: { fill: COLORS[si % COLORS.length] }, visibility: "hidden" }));
    root.append(guide, ...dots);
    const hover = svg("rect", { x: PAD.left, y: PAD.top, width: plotW, height: plotH, fill: "transparent" });
    const hide = () => { tip.classList.add("hidden"); guide.setAttribute("visibility", "hidden"); dots.forEach((d) => d.setAttribute("visibility", "hidden")); };
    hover.addEventListener("pointermove", (event) => {
      if (!n) return;
      const rect = root.getBoundingClientRect();
      const px = event.clientX - rect.left;
      const i = kind === "bar"
        ? Math.min(n - 1, Math.max(0, Math.floor((px - PAD.left) / slot)))
        : Math.min(n - 1, Math.max(0, Math.round(((px - PAD.left) / plotW) * (n - 1))));
      guide.setAttribute("x1", x(i)); guide.setAttribute("x2", x(i)); guide.setAttribute("visibility", "visible");
      series.forEach((s, si) => {
        const v = s.values[i];
        if (v === null || !Number.isFinite(v) || kind === "bar") { dots[si].setAttribute("visibility", "hidden"); return; }
        dots[si].setAttribute("cx", x(i)); dots[si].setAttribute("cy", y(v)); dots[si].setAttribute("visibility", "visible");
      });
      tip.replaceChildren(
        h("div", { class: "muted" }, times[i].toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" })),
        ...series.map((s, si) => h("div", {}, h("span", { class: "swatch", style: { background: COLORS[si % COLORS.length] } }), series.length > 1 ? `${s.name}: ` : "", s.values[i] === null ? "—" : format(s.values[i]))),
      );
      tip.classList.remove("hidden");
      const left = Math.min(Math.max(0, x(i) + 10), width - tip.offsetWidth - 4);
      tip.style.left = `${left}px`;
      tip.style.top = `${PAD.top}px`;
    });
    hover.addEventListener("pointerleave", hide);
    root.append(hover);
    holder.replaceChildren(root);
  };

  let lastWidth = 0;
  const observer = new ResizeObserver(() => {
    if (!box.isConnected) { observer.disconnect(); return; }
    if (box.clientWidth !== lastWidth) { lastWidth = box.clientWidth; draw(); }
  });
  observer.observe(box);
  return outer;
}

/** Ranked horizontal bars (top models, users, property values). */
export function barList(items, { format = String, href } = {}) {
  const max = Math.max(0, ...items.map((item) => item.value));
  return h("div", { class: "bars" }, items.map((item, i) => {
    const fill = h("div", { class: "bar-fill" });
    fill.style.width = `${max > 0 ? Math.max(1, (item.value / max) * 100) : 0}%`;
    fill.style.background = COLORS[i % COLORS.length];
    const name = item.label === "" ? h("span", { class: "faint" }, "(none)") : item.label;
    return h("div", { class: "bar-row" },
      h("span", { class: "bar-label", title: item.label }, href ? h("a", { href: href(item) }, name) : name),
      h("span", { class: "muted nowrap" }, format(item.value), item.sub ? h("span", { class: "faint" }, ` · ${item.sub}`) : null),
      h("div", { class: "bar-track" }, fill));
  }));
}
