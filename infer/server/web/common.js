// Shared by the pages: the API key lives in sessionStorage (this tab only), never in URLs.
"use strict";
const scl = {
  key() { return sessionStorage.getItem("scl-key") || ""; },
  headers(extra) {
    const h = Object.assign({}, extra || {});
    const k = scl.key();
    if (k) h["Authorization"] = "Bearer " + k;
    return h;
  },
  async fetchJSON(url, opts) {
    const o = Object.assign({}, opts || {});
    o.headers = scl.headers(o.headers);
    const r = await fetch(url, o);
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((body && body.error) || ("HTTP " + r.status));
    return body;
  },
  async blobURL(url) {
    const r = await fetch(url, { headers: scl.headers() });
    if (!r.ok) throw new Error("HTTP " + r.status);
    return URL.createObjectURL(await r.blob());
  },
  status(msg, isError) {
    const el = document.getElementById("status");
    el.textContent = msg;
    el.className = isError ? "error" : "";
  },
};
document.getElementById("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const v = document.getElementById("key").value;
  sessionStorage.setItem("scl-key", v);
  document.getElementById("key").value = "";
  scl.status(v ? "Key set for this tab." : "Key cleared.");
  document.dispatchEvent(new Event("scl-key"));
});
