"use strict";
// The feed (/) and the alert page (/alerts/ID): cards with snapshot, facts, linked entries and lifecycle buttons,
// kept live by server-sent events. Text is always set with textContent: alert data never becomes markup.

const page = document.body.dataset.page;
const cards = new Map(); // alert_id -> {card, item}
let me = null;

const ACTIONS = {
  new: [["acknowledge", "Acknowledge", true], ["dispatch", "Dispatch"], ["false_alarm", "False alarm"]],
  acknowledged: [["dispatch", "Dispatch", true], ["resolve", "Resolve"], ["false_alarm", "False alarm"]],
  dispatched: [["on_my_way", "On my way", true], ["on_scene", "On scene"], ["resolve", "Resolved"], ["false_alarm", "False alarm"]],
  en_route: [["on_scene", "On scene", true], ["resolve", "Resolved"], ["false_alarm", "False alarm"]],
  on_scene: [["resolve", "Resolved", true], ["false_alarm", "False alarm"]],
  resolved: [["reopen", "Reopen"]],
  false_alarm: [["reopen", "Reopen"]],
};
const NEEDS_NOTE = new Set(["false_alarm", "reopen"]);
const RESPONDER_ACTIONS = new Set(["on_my_way", "on_scene", "resolve"]);  // all a guard or patrol account may do

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function when(ts) {
  return new Date(ts * 1000).toLocaleString();
}

async function api(path, options = {}) {
  const headers = Object.assign({"Content-Type": "application/json"}, options.headers || {});
  if (me && options.method && options.method !== "GET") headers["X-CSRF-Token"] = me.csrf;
  const reply = await fetch(path, Object.assign({}, options, {headers, credentials: "same-origin"}));
  if (reply.status === 401) {
    location.assign("/login?next=" + encodeURIComponent(location.pathname));
    throw new Error("signed out");
  }
  return reply;
}

function source(alert) {
  if (alert.record_type === "device_alert") return alert.device_kind + " " + alert.device_id;
  return alert.record_type === "entry_alert" ? alert.door_name : "camera " + alert.camera_id;
}

function facts(alert) {
  const parts = [source(alert), "since " + when(alert.started_at)];
  if (alert.zone) parts.unshift(alert.zone);
  if (alert.record_type === "alert_event") parts.push("dwell " + Math.round(alert.dwell_s) + " s");
  if (alert.record_type === "entry_alert" && alert.attempts > 1) parts.push(alert.attempts + " attempts");
  return parts.join(" · ");
}

function render(item) {
  const alert = item.alert;
  let entry = cards.get(alert.alert_id);
  const card = entry ? entry.card : el("article", "card");
  card.dataset.alertId = alert.alert_id;
  card.className = "card " + alert.severity;
  card.replaceChildren();
  const link = el("a");
  link.href = "/alerts/" + encodeURIComponent(alert.alert_id);
  const image = el("img");
  image.alt = "evidence snapshot";
  image.loading = "lazy";
  image.src = "/api/alerts/" + encodeURIComponent(alert.alert_id) + "/snapshot?v=" + encodeURIComponent(alert.event_id);
  link.append(image);
  const body = el("div", "body");
  const title = el("h2");
  title.append(el("span", "badge " + alert.severity, alert.severity), " ", alert.rule.replace(/_/g, " "));
  if (alert.stream_id.startsWith("replay-")) title.append(" ", el("span", "badge replay", "replay"));
  body.append(title, el("p", "message", alert.message), el("p", "meta", facts(alert)));
  if (alert.risk_reasons && alert.risk_reasons.length) {
    body.append(el("p", "meta", "Score " + alert.risk_score + ": " + alert.risk_reasons.join("; ")));
  }
  for (const linked of alert.linked_entries || []) {
    body.append(el("p", "linked", "Door: " + linked.reason + " at " + when(linked.ts)));
  }
  const state = el("p", "meta");
  state.append("State: ", el("span", "state", item.state || "new"));
  if (item.responder) state.append(" · ", el("span", "responder", "sent: " + item.responder));
  if (item.escalations) state.append(" · escalated " + item.escalations + "×");
  body.append(state);
  if (item.push_note) body.append(el("p", "meta push-note", item.push_note));  // "guard1 has no push channel"
  body.append(actions(alert.alert_id, item.state || "new"));
  card.append(link, body);
  cards.set(alert.alert_id, {card, item});
  return card;
}

function actions(alertId, state) {
  const box = el("div", "actions");
  const error = el("p", "error");
  const responder = me && (me.role === "guard" || me.role === "patrol");
  for (const [action, label, primary] of ACTIONS[state] || []) {
    if (responder && !RESPONDER_ACTIONS.has(action)) continue;
    const button = el("button", primary ? "primary" : "", label);
    button.type = "button";
    button.dataset.action = action;
    button.addEventListener("click", () => act(alertId, action, box, error));
    box.append(button);
  }
  box.append(error);
  return box;
}

async function act(alertId, action, box, error) {
  let note = "";
  if (NEEDS_NOTE.has(action)) {
    const field = box.querySelector("textarea") || el("textarea");
    if (!field.isConnected) {
      field.placeholder = "Why? (required)";
      box.prepend(field);
      field.focus();
      return;
    }
    note = field.value.trim();
    if (!note) { error.textContent = "A note is required."; return; }
  }
  let responder = null;
  if (action === "dispatch") {  // first press: choose whom to send (guard and patrol accounts); second: send
    let choice = box.querySelector("select.responder");
    if (!choice) {
      const people = await (await api("/api/responders")).json();
      if (people.length) {
        choice = el("select", "responder");
        choice.append(el("option", "", "— anyone (no push) —"));
        choice.options[0].value = "";
        for (const person of people) {
          const push = person.push && person.push.length ? person.push.join(" + ") : "no push channel";
          const option = el("option", "", person.username + " (" + person.role + ") · " + push);
          option.value = person.username;
          choice.append(option);
        }
        box.prepend(choice);
        return;
      }
    }
    responder = choice ? choice.value || null : null;
  }
  const reply = await api("/api/alerts/" + encodeURIComponent(alertId) + "/actions", {
    method: "POST",
    body: JSON.stringify({action, note, responder}),
  });
  const result = await reply.json();
  if (!reply.ok) { error.textContent = result.error; return; }
  const entry = cards.get(alertId);
  if (entry && result.push) entry.item.push_note = result.push.note || "pushed to " + responder + " by " + result.push.reached.join(" + ");
  setState(alertId, result.state);
}

function setState(alertId, state) {
  const entry = cards.get(alertId);
  if (!entry) return;
  entry.item.state = state;
  render(entry.item);
  if (page === "alert") loadTimeline(alertId);
}

function place(item) {
  const feed = document.getElementById("feed");
  const known = cards.has(item.alert.alert_id);
  const card = render(item);
  if (!known) feed.prepend(card);
  const empty = document.getElementById("empty");
  if (empty) empty.classList.toggle("hidden", cards.size > 0);
}

async function loadTimeline(alertId) {
  const detail = await (await api("/api/alerts/" + encodeURIComponent(alertId))).json();
  const list = document.getElementById("timeline");
  // worded by the server (alerts/timeline.py): "left the car", "came back", times in the site's zone
  list.replaceChildren(...detail.entries.map((e) => el("li", e.kind, e.when + " — " + e.text)));
  return detail;
}

// The evidence clip: built just after the alert starts and again as the incident goes on, so it is asked for again
// until it is there and whenever the incident sends a new step.
let clipVersion = null;
async function loadClip(alertId, attempt = 0) {
  const video = document.getElementById("clip");
  const status = document.getElementById("clip-status");
  if (!video) return;
  const detail = await (await api("/api/alerts/" + encodeURIComponent(alertId))).json();
  const clip = detail.clip;
  if (!clip || !clip.frames) {
    status.textContent = clip ? "No video frames were kept for this incident." : "Clip being prepared…";
    if (!clip && attempt < 20) setTimeout(() => loadClip(alertId, attempt + 1), 3000);
    return;
  }
  const gaps = clip.gaps.length ? " · " + clip.gaps.length + " gap(s) where no frame was kept" : "";
  const span = Math.round(clip.end - clip.start);
  status.textContent = clip.frames + " frames over " + span + " s" + (clip.capped ? " (capped)" : "") + gaps;
  if (clipVersion === clip.event_id) return;
  clipVersion = clip.event_id;
  video.src = "/api/alerts/" + encodeURIComponent(alertId) + "/clip?v=" + encodeURIComponent(clip.event_id);
  video.hidden = false;
}

// The live look-in: the camera's latest frame with its current boxes, once a second, while the page is open.
let liveUrl = null;
function startLive(alert) {
  const image = document.getElementById("live");
  const status = document.getElementById("live-status");
  if (!image || !alert.camera_id) return;
  const tick = async () => {
    const reply = await api("/api/cameras/" + encodeURIComponent(alert.camera_id) + "/live", {cache: "no-store"});
    if (!reply.ok) {
      image.hidden = true;
      status.textContent = "No live view: the camera has sent nothing in the last seconds.";
      return;
    }
    const capturedAt = parseFloat(reply.headers.get("X-Captured-At"));
    const blob = await reply.blob();
    if (liveUrl) URL.revokeObjectURL(liveUrl);
    liveUrl = URL.createObjectURL(blob);
    image.src = liveUrl;
    image.dataset.capturedAt = String(capturedAt);
    image.hidden = false;
    status.textContent = "Live · captured " + when(capturedAt);
  };
  tick();
  setInterval(tick, 1000);
}

function follow() {
  const status = document.getElementById("connection");
  const stream = new EventSource("/api/stream");
  stream.onopen = () => { status.textContent = "live"; };
  stream.onerror = () => { status.textContent = "reconnecting…"; };
  stream.addEventListener("alert", (event) => {
    const data = JSON.parse(event.data);
    const focus = page === "alert" ? decodeURIComponent(location.pathname.split("/").pop()) : null;
    if (focus && data.alert.alert_id !== focus) return;
    const previous = cards.get(data.alert.alert_id);
    place({alert: data.alert, state: previous ? previous.item.state : data.state, escalations: previous ? previous.item.escalations : 0});
    if (focus) { loadTimeline(focus); setTimeout(() => loadClip(focus), 2000); }
  });
  stream.addEventListener("state", (event) => {
    const data = JSON.parse(event.data);
    setState(data.alert_id, data.state);
  });
}

function base64UrlToBytes(text) {
  const padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

async function offerNotifications() {
  const button = document.getElementById("notify");
  if (!button || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  const reply = await api("/api/push/key");
  if (!reply.ok) return; // Web Push not configured on this site
  const key = (await reply.json()).public_key;
  button.hidden = false;
  button.addEventListener("click", async () => {
    if ((await Notification.requestPermission()) !== "granted") return;
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: base64UrlToBytes(key)});
    const saved = await api("/api/push/subscriptions", {method: "POST", body: JSON.stringify(subscription.toJSON())});
    button.textContent = saved.ok ? "Notifications on" : "Notifications failed";
    button.disabled = saved.ok;
  });
}

async function start() {
  me = await (await api("/api/me")).json();
  document.getElementById("who").textContent = me.user + " (" + me.role + ")";
  const logout = document.getElementById("logout");
  if (logout) logout.addEventListener("click", async () => { await api("/api/logout", {method: "POST"}); location.assign("/login"); });
  if (page === "alert") {
    const alertId = decodeURIComponent(location.pathname.split("/").pop());
    const detail = await loadTimeline(alertId);
    place(detail);
    loadClip(alertId);
    startLive(detail.alert);
  } else {
    const items = await (await api("/api/alerts?limit=100")).json();
    for (const item of items.reverse()) place(item);
  }
  follow();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  offerNotifications();
}

start();
