"use strict";
(function () {
  const file = document.getElementById("file");
  const drop = document.getElementById("drop");
  const results = document.getElementById("results");
  const classSel = document.getElementById("class");

  async function loadInfo() {
    try {
      const info = await scl.fetchJSON("/v1/index");
      classSel.length = 1;
      (info.classes || []).forEach((c) => classSel.add(new Option(c, c)));
      scl.status("Index: " + info.count + " images (" + info.kind + "). Choose or drop an image.");
    } catch (e) {
      scl.status("Cannot read the index: " + e.message + (/bearer/i.test(e.message) ? " Enter the API key above." : ""), true);
    }
  }

  function readDataURL(f) {
    return new Promise((ok, fail) => {
      const r = new FileReader();
      r.onload = () => ok(r.result);
      r.onerror = () => fail(r.error);
      r.readAsDataURL(f);
    });
  }

  async function searchWith(f) {
    if (!f) return;
    results.textContent = "";
    scl.status("Searching…");
    try {
      const uri = await readDataURL(f);
      const q = document.getElementById("query");
      document.getElementById("query-img").src = uri;
      q.hidden = false;
      const body = { input: uri, k: Math.max(1, Math.min(100, parseInt(document.getElementById("k").value, 10) || 8)) };
      if (classSel.value) body.classes = [classSel.value];
      const ans = await scl.fetchJSON("/v1/search", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      const hits = ans.data[0].results;
      for (const h of hits) {
        const li = document.createElement("li");
        li.dataset.id = h.id;
        li.dataset.row = h.row;
        const img = document.createElement("img");
        img.alt = (h.class ? h.class + " " : "") + h.id;
        li.append(img);
        const cap = document.createElement("div");
        cap.textContent = h.score.toFixed(3) + (h.class ? " · " + h.class : "");
        const id = document.createElement("div");
        id.className = "id";
        id.textContent = h.id;
        li.append(cap, id);
        results.append(li);
        scl.blobURL("/v1/images/" + h.row).then((u) => { img.src = u; }, () => { img.alt += " (no image)"; });
      }
      scl.status(hits.length + " nearest neighbours.");
    } catch (e) {
      scl.status("Search failed: " + e.message, true);
    }
  }

  file.addEventListener("change", () => searchWith(file.files[0]));
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => searchWith(e.dataTransfer.files[0]));
  document.addEventListener("scl-key", loadInfo);
  loadInfo();
})();
