"use strict";
// The profile page (/profile): the signed-in account's own ntfy topic, shown masked; set, generated or removed.
// A generated topic is shown once, to type into the ntfy app. Text is set with textContent only.

let me = null;

async function api(path, options = {}) {
  const headers = {"Content-Type": "application/json"};
  if (me && options.method && options.method !== "GET") headers["X-CSRF-Token"] = me.csrf;
  const reply = await fetch(path, Object.assign({}, options, {headers, credentials: "same-origin"}));
  if (reply.status === 401) {
    location.assign("/login?next=/profile");
    throw new Error("signed out");
  }
  return reply;
}

function show(data) {
  const where = data.server ? " on " + data.server : " (ntfy is not configured on this site)";
  document.getElementById("current").textContent =
    data.topic ? "Your topic: " + data.topic + where : "You have no ntfy topic: dispatches reach you by Web Push only.";
}

function randomTopic() {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function save(topic) {
  const error = document.getElementById("error");
  error.textContent = "";
  const reply = await api("/api/me/ntfy-topic", {method: "PUT", body: JSON.stringify({topic})});
  const data = await reply.json();
  if (!reply.ok) { error.textContent = data.error; return; }
  document.getElementById("result").textContent = topic
    ? "Saved. Subscribe to " + topic + " in the ntfy app on your phone."
    : "Removed.";
  document.getElementById("topic").value = "";
  show(await (await api("/api/me/ntfy-topic")).json());
}

async function start() {
  me = await (await api("/api/me")).json();
  document.getElementById("who").textContent = me.user + " (" + me.role + ")";
  show(await (await api("/api/me/ntfy-topic")).json());
  document.getElementById("generate").addEventListener("click", () => {
    document.getElementById("topic").value = randomTopic();
  });
  document.getElementById("topic-form").addEventListener("submit", (event) => {
    event.preventDefault();
    save(document.getElementById("topic").value.trim());
  });
  document.getElementById("clear").addEventListener("click", () => save(null));
}

start();
