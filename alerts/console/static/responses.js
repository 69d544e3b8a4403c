// Response times per site and responder (GET /api/response-times), against the 1-3-5 minute targets.
"use strict";

function seconds(value) {
  if (value === null || value === undefined) return "–";
  return value < 120 ? Math.round(value) + " s" : (value / 60).toFixed(1) + " min";
}

function cell(stage) {
  const td = document.createElement("td");
  if (!stage.count) { td.textContent = "–"; return td; }
  const share = Math.round(stage.within_target * 100);
  td.textContent = seconds(stage.p50_s) + " / " + seconds(stage.p90_s) + " · " + share + "% ≤ " + seconds(stage.target_s);
  td.className = share >= 90 ? "on-target" : "off-target";
  return td;
}

async function load() {
  const reply = await fetch("/api/response-times", {credentials: "same-origin"});
  if (reply.status === 401) { location.assign("/login?next=/response-times"); return; }
  const data = await reply.json();
  const body = document.querySelector("#responses tbody");
  body.replaceChildren(...data.rows.map((row) => {
    const tr = document.createElement("tr");
    for (const text of [row.site_id, row.responder, String(row.alerts)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    tr.append(cell(row.acknowledged), cell(row.dispatched), cell(row.on_scene));
    return tr;
  }));
}

load();
