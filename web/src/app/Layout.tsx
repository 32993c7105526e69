import type { ReactNode } from "react";
import { Link, useLocation } from "wouter";
import { useSession } from "../api/session";
import { useUserHub } from "../realtime/hub";
import { useUnreadNotifications } from "../realtime/unread";
import { Avatar } from "../ui/Avatar";

interface NavItem {
  href: string;
  label: string;
  icon: ReactNode;
  /** Shown in the bottom bar on narrow screens too (the rest are in the top bar or the sidebar). */
  phone?: boolean;
}

const icon = (d: string) => (
  <svg viewBox="0 0 24 24" className="h-6 w-6" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
    <path d={d} strokeLinecap="round" strokeLinejoin="round" />
  </svg>
);

const ICONS = {
  home: icon("M3 11l9-8 9 8v10a1 1 0 0 1-1 1h-5v-7H9v7H4a1 1 0 0 1-1-1z"),
  search: icon("M11 19a8 8 0 1 0 0-16 8 8 0 0 0 0 16zm10 2-4.35-4.35"),
  explore: icon("M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zm4.2-14.2-2.1 6.3-6.3 2.1 2.1-6.3z"),
  live: icon("M2 8a4 4 0 0 1 4-4h8a4 4 0 0 1 4 4v8a4 4 0 0 1-4 4H6a4 4 0 0 1-4-4zm16 2 4-3v10l-4-3"),
  new: icon("M12 5v14M5 12h14M4 2h16a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2z"),
  direct: icon("M22 2 11 13M22 2l-7 20-4-9-9-4z"),
  bell: icon("M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9M13.7 21a2 2 0 0 1-3.4 0"),
  settings: icon(
    "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z",
  ),
};

/** The frame around every signed-in screen: a sidebar on wide screens, top and bottom bars on phones. */
export function Layout({ children }: { children: ReactNode }) {
  const { user } = useSession();
  const unread = useUnreadNotifications();
  useUserHub();
  if (!user) return null;
  const items: NavItem[] = [
    { href: "/", label: "Home", icon: ICONS.home, phone: true },
    { href: "/search", label: "Search", icon: ICONS.search, phone: true },
    { href: "/explore", label: "Explore", icon: ICONS.explore },
    { href: "/live", label: "Live", icon: ICONS.live, phone: true },
    { href: "/direct", label: "Messages", icon: ICONS.direct },
    { href: "/notifications", label: "Notifications", icon: ICONS.bell },
    { href: "/new", label: "New post", icon: ICONS.new, phone: true },
    { href: "/settings", label: "Settings", icon: ICONS.settings },
  ];
  const badge = unread > 0 ? <UnreadBadge count={unread} /> : null;
  return (
    <div className="min-h-screen sm:flex">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-20 flex items-center justify-between border-b border-neutral-200 bg-white px-4 py-2 sm:hidden">
        <Link href="/" className="text-xl font-bold tracking-tight">
          Edgegram
        </Link>
        <nav aria-label="Activity" className="flex items-center gap-1">
          <NavLink
            href="/notifications"
            label={unread > 0 ? `Notifications, ${unread > 99 ? "99+" : unread} unread` : "Notifications"}
            icon={ICONS.bell}
            compact
            extra={badge}
          />
          <NavLink href="/direct" label="Messages" icon={ICONS.direct} compact />
        </nav>
      </header>
      <nav
        aria-label="Main"
        className="sticky top-0 hidden h-screen w-56 shrink-0 flex-col gap-1 border-r border-neutral-200 px-3 py-6 sm:flex"
      >
        <Link href="/" className="mb-6 px-3 text-2xl font-bold tracking-tight">
          Edgegram
        </Link>
        {items.map((item) => (
          <NavLink key={item.href} {...item} extra={item.href === "/notifications" ? badge : null} />
        ))}
        <NavLink href={`/u/${user.username}`} label="Profile" icon={<Avatar user={user} size="sm" />} />
      </nav>
      <main id="main" tabIndex={-1} className="mx-auto w-full max-w-2xl flex-1 pb-20 sm:pb-6">
        {children}
      </main>
      <nav
        aria-label="Main"
        className="fixed inset-x-0 bottom-0 z-20 flex justify-around border-t border-neutral-200 bg-white py-1 sm:hidden"
      >
        {items
          .filter((item) => item.phone)
          .map((item) => (
            <NavLink key={item.href} {...item} compact />
          ))}
        <NavLink href={`/u/${user.username}`} label="Profile" icon={<Avatar user={user} size="sm" />} compact />
      </nav>
    </div>
  );
}

function UnreadBadge({ count }: { count: number }) {
  return (
    <span
      className="ml-auto min-w-5 rounded-full bg-red-700 px-1.5 text-center text-xs leading-5 font-bold text-white"
      data-testid="unread-badge"
    >
      {count > 99 ? "99+" : count}
      <span className="sr-only"> unread</span>
    </span>
  );
}

function NavLink({
  href,
  label,
  icon,
  compact = false,
  extra = null,
}: NavItem & { compact?: boolean; extra?: ReactNode }) {
  const [location] = useLocation();
  const active = href === "/" ? location === "/" : location === href || location.startsWith(`${href}/`);
  return (
    <Link
      href={href}
      aria-current={active ? "page" : undefined}
      aria-label={compact ? label : undefined}
      className={`relative flex items-center gap-3 rounded-lg px-3 py-2 text-neutral-900 hover:bg-neutral-100 ${active ? "font-bold" : ""}`}
    >
      {icon}
      {compact ? extra ? <span className="absolute -top-0.5 -right-0.5">{extra}</span> : null : <span>{label}</span>}
      {compact ? null : extra}
    </Link>
  );
}
