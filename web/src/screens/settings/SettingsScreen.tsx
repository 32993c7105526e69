import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, Route, Switch, useLocation } from "wouter";
import { signOut } from "../../settings/account";
import { EmptyState } from "../../ui/Feedback";
import BlockedSettings from "./BlockedSettings";
import CloseFriendsSettings from "./CloseFriendsSettings";
import DataSettings from "./DataSettings";
import NotificationSettings from "./NotificationSettings";
import PrivacySettings from "./PrivacySettings";
import ProfileSettings from "./ProfileSettings";
import SecuritySettings from "./SecuritySettings";

const SECTIONS = [
  { path: "/profile", label: "Edit profile", hint: "Name, username, bio, picture", component: ProfileSettings },
  { path: "/privacy", label: "Privacy", hint: "Who can see your posts", component: PrivacySettings },
  {
    path: "/close-friends",
    label: "Close friends",
    hint: "Who sees close-friends stories",
    component: CloseFriendsSettings,
  },
  { path: "/blocked", label: "Blocked and muted", hint: "Accounts you blocked or muted", component: BlockedSettings },
  { path: "/notifications", label: "Notifications", hint: "What you are told about", component: NotificationSettings },
  { path: "/security", label: "Password and security", hint: "Sessions, password, email", component: SecuritySettings },
  { path: "/data", label: "Your data", hint: "Download or delete your account", component: DataSettings },
] as const;

/**
 * Settings (route /settings, nested: the paths here are relative to it). On phones /settings is the
 * menu and each section is its own page; from md up the menu stays beside the section, and
 * /settings itself shows the first section.
 */
export default function SettingsScreen() {
  const [location] = useLocation();
  const atMenu = location === "/" || location === "";
  return (
    <div className="px-4 py-4 sm:py-6 md:flex md:gap-6">
      <div className={`md:w-52 md:shrink-0 ${atMenu ? "" : "hidden md:block"}`}>
        <Menu atMenu={atMenu} />
      </div>
      <div className={`min-w-0 flex-1 ${atMenu ? "hidden md:block" : ""}`}>
        <Switch>
          {SECTIONS.map((section) => (
            <Route key={section.path} path={section.path} component={section.component} />
          ))}
          <Route path="/">{atMenu ? <ProfileSettings /> : null}</Route>
          <Route>
            <EmptyState title="This setting isn't here">
              <Link href="/" className="font-semibold text-blue-700 underline">
                Back to settings
              </Link>
            </EmptyState>
          </Route>
        </Switch>
      </div>
    </div>
  );
}

function Menu({ atMenu }: { atMenu: boolean }) {
  const [location, navigate] = useLocation();
  const queryClient = useQueryClient();
  const [leaving, setLeaving] = useState(false);
  async function leave() {
    setLeaving(true);
    await signOut(queryClient);
    navigate("~/login", { replace: true });
  }
  return (
    <nav aria-label="Settings" className="space-y-1">
      {/* On phones the menu is the page, so its title is the page's heading. */}
      {atMenu ? <h1 className="mb-3 text-xl font-bold md:hidden">Settings</h1> : null}
      <p className="mb-3 hidden px-3 text-xl font-bold md:block">Settings</p>
      <ul className="space-y-1">
        {SECTIONS.map((section) => {
          // On desktop /settings shows the first section, so it is the current one there.
          const current = location === section.path || (atMenu && section.path === "/profile");
          return (
            <li key={section.path}>
              <Link
                href={section.path}
                aria-current={location === section.path ? "page" : undefined}
                className={`flex items-center justify-between rounded-lg px-3 py-2.5 text-neutral-900 hover:bg-neutral-100 ${current ? "md:bg-neutral-100 md:font-semibold" : ""}`}
              >
                <span>
                  <span className="block">{section.label}</span>
                  <span className="block text-sm font-normal text-neutral-600 md:hidden">{section.hint}</span>
                </span>
                <span aria-hidden="true" className="text-neutral-500 md:hidden">
                  ›
                </span>
              </Link>
            </li>
          );
        })}
      </ul>
      <div className="border-t border-neutral-200 pt-2">
        <button
          type="button"
          onClick={() => void leave()}
          disabled={leaving}
          className="w-full rounded-lg px-3 py-2.5 text-left font-semibold text-red-700 hover:bg-red-50"
        >
          {leaving ? "Signing out…" : "Sign out"}
        </button>
      </div>
    </nav>
  );
}
