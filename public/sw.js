// The web client's service worker: it exists only to show Web Push notifications while the app is
// closed, and to open the app where a tapped notification points. It caches nothing (the app is
// online-only), so it can never serve a stale app. The payload is the server's PushMessage
// (src/features/push/push.service.ts): {title, body, group_key, notification_id, url}.

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("push", (event) => {
  let message = { title: "Edgegram", body: "You have a new notification.", group_key: "", url: "/notifications" };
  try {
    message = { ...message, ...event.data.json() };
  } catch {
    // A push without a readable payload still tells the person something happened.
  }
  event.waitUntil(
    self.registration.showNotification(message.title, {
      body: message.body,
      // One notification per group: a newer like on the same post replaces the older one.
      tag: message.group_key || undefined,
      data: { url: message.url },
      icon: "/favicon.svg",
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const path = typeof event.notification.data?.url === "string" ? event.notification.data.url : "/notifications";
  // Only this app's own paths: the payload must never send anyone elsewhere.
  const target = new URL(
    path.startsWith("/") && !path.startsWith("//") ? path : "/notifications",
    self.location.origin,
  );
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (open) return open.navigate(target.href).then((w) => (w ?? open).focus());
      return self.clients.openWindow(target.href);
    }),
  );
});
