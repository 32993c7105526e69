import { api, data } from "../api/client";
import { ApiProblem } from "../api/problem";

/** The service worker (public/sw.js): it only shows pushes and opens the app when one is tapped. */
const WORKER = "/sw.js";

/** Whether this browser can receive Web Push here (a secure context with a service worker and PushManager). */
export function pushSupported(): boolean {
  return (
    typeof window !== "undefined" &&
    window.isSecureContext &&
    "serviceWorker" in navigator &&
    "PushManager" in window &&
    "Notification" in window
  );
}

/** This browser's current push subscription, if the app made one. */
export async function currentSubscription(): Promise<PushSubscription | null> {
  if (!pushSupported()) return null;
  const registration = await navigator.serviceWorker.getRegistration("/");
  return (await registration?.pushManager.getSubscription()) ?? null;
}

/** The VAPID key is base64url; PushManager wants its bytes. */
function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Asks for permission, subscribes this browser with the server's VAPID key, and tells the server. */
export async function enablePush(): Promise<void> {
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    throw new ApiProblem(
      0,
      "push_denied",
      "Notifications are blocked for Edgegram in this browser. Allow them in the site settings, then try again.",
    );
  }
  await navigator.serviceWorker.register(WORKER, { scope: "/" });
  const registration = await navigator.serviceWorker.ready;
  const { public_key } = await data(await api.GET("/v1/push/vapid-public-key"));
  let subscription: PushSubscription;
  try {
    subscription =
      (await registration.pushManager.getSubscription()) ??
      (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(public_key) }));
  } catch (error) {
    console.warn("push subscribe failed", error);
    throw new ApiProblem(0, "push_unavailable", "This browser could not reach its push service. Try again later.");
  }
  const json = subscription.toJSON();
  const p256dh = json.keys?.p256dh;
  const auth = json.keys?.auth;
  if (!json.endpoint || !p256dh || !auth) {
    throw new ApiProblem(0, "push_unavailable", "This browser gave an incomplete push subscription.");
  }
  try {
    await data(await api.POST("/v1/push/subscriptions", { body: { endpoint: json.endpoint, keys: { p256dh, auth } } }));
  } catch (error) {
    // The server refused it: leave no subscription the server does not know about.
    await subscription.unsubscribe();
    throw error;
  }
}

/** Tells the server to stop, then drops the browser's subscription. */
export async function disablePush(): Promise<void> {
  const subscription = await currentSubscription();
  if (!subscription) return;
  try {
    await data(await api.DELETE("/v1/push/subscriptions", { body: { endpoint: subscription.endpoint } }));
  } catch (error) {
    // Already gone on the server (404): the browser's side still has to go.
    if (!(error instanceof ApiProblem && error.status === 404)) throw error;
  }
  await subscription.unsubscribe();
}
