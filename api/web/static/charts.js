// Plain SVG charts drawn by script (the page's CSP allows no inline markup or styles): a horizontal bar per outcome,
// and the connect rate per hour of the callee's local day. Each chart also has a table for screen readers.
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

export function outcomeLabel(outcome) {
  return outcome.replaceAll("_", " ");
}

/** Bars of `items` [{label, value, key}] in `container` (replaced), labelled `title`. */
export function barChart(container, items, title) {
  const rowH = 30;
  const labelW = 230;
  const width = 560;
  const max = Math.max(1, ...items.map((i) => i.value));
  const chart = svg("svg", { viewBox: `0 0 ${width} ${items.length * rowH + 4}`, role: "img", "aria-label": title, class: "chart bars" });
  items.forEach((item, index) => {
    const y = index * rowH + 2;
    const w = ((width - labelW - 50) * item.value) / max;
    const group = svg("g", { "data-key": item.key });
    group.append(
      svg("text", { x: labelW - 8, y: y + 21, "text-anchor": "end", class: "label" }, item.label),
      svg("rect", { x: labelW, y: y + 5, width: Math.max(w, item.value ? 2 : 0), height: rowH - 10, class: `bar o-${item.key}` }),
      svg("text", { x: labelW + w + 6, y: y + 21, class: "value" }, String(item.value)),
    );
    chart.append(group);
  });
  container.replaceChildren(chart);
}

/** Connect rate per local hour: bar height is the rate, the number above is attempts; hours without any are blank. */
export function hourChart(container, hours, title) {
  const width = 560;
  const height = 240;
  const left = 58;
  const bottom = 30;
  const plotH = height - bottom - 26;
  const step = (width - left) / 24;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart hours" });
  for (const pct of [0, 50, 100]) {
    const y = 26 + plotH - (plotH * pct) / 100;
    chart.append(svg("line", { x1: left, x2: width, y1: y, y2: y, class: "grid" }), svg("text", { x: left - 4, y: y + 6, "text-anchor": "end", class: "axis" }, `${pct}%`));
  }
  for (const hour of hours) {
    const x = left + hour.hour * step;
    const group = svg("g", { "data-hour": hour.hour });
    if (hour.attempts) {
      const h = plotH * (hour.connect_rate || 0);
      group.append(
        svg("rect", { x: x + 2, y: 26 + plotH - h, width: step - 4, height: Math.max(h, 1), class: "bar rate" }),
        svg("text", { x: x + step / 2, y: 26 + plotH - h - 4, "text-anchor": "middle", class: "value" }, String(hour.attempts)),
      );
      group.append(svg("title", {}, `${hour.hour}:00 — ${hour.connected} of ${hour.attempts} answered`));
    }
    if (hour.hour % 3 === 0) group.append(svg("text", { x: x + step / 2, y: height - 8, "text-anchor": "middle", class: "axis" }, `${hour.hour}h`));
    chart.append(group);
  }
  container.replaceChildren(chart);
}
