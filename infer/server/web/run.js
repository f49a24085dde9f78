"use strict";
(function () {
  const charts = document.getElementById("charts");
  // Series drawn when present in the records, with their labels.
  const series = [["loss", "loss"], ["kl", "KL"], ["gamma", "γ"], ["beta", "β (EMA)"], ["scale", "exp(τ)"], ["bias", "b"], ["lr", "learning rate"], ["images_per_sec", "images/s"]];

  // ticks returns about n round values spanning [lo, hi], with enough decimals to tell them apart.
  function ticks(lo, hi, n) {
    if (hi <= lo) { hi = lo + Math.abs(lo || 1) * 1e-6; }
    const raw = (hi - lo) / n;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
    const decimals = Math.max(0, -Math.floor(Math.log10(step)));
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v.toFixed(decimals));
    return out;
  }

  function chart(name, label, pts) {
    const W = 320, H = 180, L = 58, B = 22, T = 8, R = 8;
    const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
    const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
    let y0 = Math.min(...ys), y1 = Math.max(...ys);
    if (y1 === y0) { y1 = y0 + Math.abs(y0 || 1) * 1e-6; }
    const sx = (x) => L + (x - x0) / (x1 - x0) * (W - L - R);
    const sy = (y) => H - B - (y - y0) / (y1 - y0) * (H - B - T);
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `${label} over ${pts.length} logged steps, last ${ys[ys.length - 1]}`);
    const el = (tag, attrs, text) => {
      const e = document.createElementNS(ns, tag);
      for (const k in attrs) e.setAttribute(k, attrs[k]);
      if (text !== undefined) e.textContent = text;
      svg.append(e);
    };
    for (const t of ticks(y0, y1, 4)) {
      const y = sy(parseFloat(t));
      el("line", { x1: L, x2: W - R, y1: y, y2: y, stroke: "#e4e4e4" });
      el("text", { x: L - 4, y: y + 4, "text-anchor": "end", "font-size": 10 }, t);
    }
    el("text", { x: W - R, y: H - 6, "text-anchor": "end", "font-size": 10 }, "step " + x1);
    el("text", { x: L, y: H - 6, "font-size": 10 }, "step " + x0);
    el("polyline", { fill: "none", stroke: "#1f4eb4", "stroke-width": 1.5, points: pts.map((p) => sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1)).join(" ") });
    const box = document.createElement("div");
    box.className = "chart";
    box.dataset.series = name;
    const h = document.createElement("h3");
    h.textContent = label;
    box.append(h, svg);
    return box;
  }

  let gridURL = null;
  async function refresh() {
    try {
      const m = await scl.fetchJSON("/v1/run/metrics");
      const recs = (m.records || []).filter((r) => r.kind === undefined || r.kind === "step" || r.kind === "train");
      charts.textContent = "";
      for (const [name, label] of series) {
        const pts = recs.filter((r) => typeof r[name] === "number").map((r) => [r.step, r[name]]);
        if (pts.length > 0) charts.append(chart(name, label, pts));
      }
      scl.status(`${m.records.length} records from ${m.path}` + (m.running ? " (run in progress, refreshing)" : ""));
      const g = await fetch("/v1/run/grid", { headers: scl.headers() });
      if (g.ok) {
        if (gridURL) URL.revokeObjectURL(gridURL);
        gridURL = URL.createObjectURL(await g.blob());
        const img = document.getElementById("grid");
        img.src = gridURL;
        img.hidden = false;
        document.getElementById("grid-none").hidden = true;
      }
    } catch (e) {
      scl.status("Cannot read the run: " + e.message, true);
    }
  }
  document.addEventListener("scl-key", refresh);
  refresh();
  setInterval(refresh, 5000);
})();
