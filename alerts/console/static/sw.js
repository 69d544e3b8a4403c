// Service worker: makes the console installable and opens its shell offline; alerts always come from the network.
const SHELL = "sentinel-shell-v1";
const FILES = ["/static/style.css", "/static/console.js", "/static/login.js", "/static/icon-192.png", "/login"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k)))));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.pathname.startsWith("/api/")) {
    return; // the API and the live stream are never cached
  }
  event.respondWith(fetch(event.request).catch(() => caches.match(event.request)));
});

// Web Push: show the alert even when no console tab is open; a tap opens the alert page.
self.addEventListener("push", (event) => {
  const alert = event.data ? event.data.json() : {title: "Community Sentinel", body: "New alert"};
  event.waitUntil(self.registration.showNotification(alert.title, {
    body: alert.body,
    image: alert.image,
    icon: "/static/icon-192.png",
    badge: "/static/icon-192.png",
    tag: alert.alert_id,  // one notification per incident: a raised severity replaces it
    renotify: true,
    requireInteraction: alert.severity === "red",
    actions: alert.clip ? [{action: "clip", title: "Play clip"}] : [],
    data: {url: alert.url, clip: alert.clip},
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const url = (event.action === "clip" && data.clip) || data.url || "/";
  event.waitUntil(self.clients.openWindow(url));
});
