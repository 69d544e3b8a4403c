"use strict";
// The devices page (/devices): each camera's and terminal's last frame or heartbeat, frame rate and state,
// refreshed every 5 s. Text is set with textContent only.

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function ago(seconds) {
  if (seconds < 90) return Math.round(seconds) + " s ago";
  if (seconds < 5400) return Math.round(seconds / 60) + " min ago";
  return Math.round(seconds / 3600) + " h ago";
}

function heard(d) {
  const td = cell(ago(d.age_s) + " · " + d.last_kind);
  td.title = new Date(d.last_seen * 1000).toLocaleString();
  return td;
}

async function refresh() {
  const reply = await fetch("/api/devices", {credentials: "same-origin"});
  if (reply.status === 401) {
    location.assign("/login?next=/devices");
    return;
  }
  const data = await reply.json();
  const rows = document.getElementById("rows");
  rows.replaceChildren();
  for (const d of data.devices) {
    const tr = document.createElement("tr");
    tr.dataset.device = d.device_id;
    tr.append(
      cell(d.device_id),
      cell(d.device_kind),
      heard(d),
      cell(d.fps === null ? "–" : d.fps.toFixed(1) + " fps"),
      cell(d.state, "state-" + d.state),
    );
    rows.append(tr);
  }
  document.getElementById("empty").classList.toggle("hidden", data.devices.length > 0);
  document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
}

refresh();
setInterval(refresh, 5000);
