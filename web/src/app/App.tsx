import { lazy, Suspense, useEffect } from "react";
import { Redirect, Route, Switch, useLocation } from "wouter";
import { restoreSession, useSession } from "../api/session";
import { LoginScreen } from "../screens/auth/LoginScreen";
import { FeedScreen } from "../screens/feed/FeedScreen";
import { PendingDeletion } from "../settings/PendingDeletion";
import { Spinner } from "../ui/Feedback";
import { Layout } from "./Layout";

// The first screens (sign in, the feed) ship in the entry chunk; every other screen is loaded when
// it is first opened, so the first screen's JavaScript stays small (README "Web client").
const SignupScreen = lazy(() => import("../screens/auth/SignupScreen"));
const VerifyEmailScreen = lazy(() => import("../screens/auth/VerifyEmailScreen"));
const ResetPasswordScreen = lazy(() => import("../screens/auth/ResetPasswordScreen"));
const PostScreen = lazy(() => import("../screens/posts/PostScreen"));
const ComposerScreen = lazy(() => import("../screens/composer/ComposerScreen"));
const ProfileScreen = lazy(() => import("../screens/profile/ProfileScreen"));
const FollowListScreen = lazy(() => import("../screens/profile/FollowListScreen"));
const FollowRequestsScreen = lazy(() => import("../screens/profile/FollowRequestsScreen"));
const StoryViewerScreen = lazy(() => import("../screens/stories/StoryViewerScreen"));
const InboxScreen = lazy(() => import("../screens/direct/InboxScreen"));
const ConversationScreen = lazy(() => import("../screens/direct/ConversationScreen"));
const NotificationsScreen = lazy(() => import("../screens/notifications/NotificationsScreen"));
const SearchScreen = lazy(() => import("../screens/discover/SearchScreen"));
const ExploreScreen = lazy(() => import("../screens/discover/ExploreScreen"));
const TagScreen = lazy(() => import("../screens/discover/TagScreen"));
const LiveListScreen = lazy(() => import("../screens/live/LiveListScreen"));
const LiveScreen = lazy(() => import("../screens/live/LiveScreen"));
const SettingsScreen = lazy(() => import("../screens/settings/SettingsScreen"));

/** Paths anyone may open; every other path asks for a session first. */
const PUBLIC = ["/login", "/signup", "/verify-email", "/reset-password"];

export function App() {
  const session = useSession();
  const [location] = useLocation();
  useEffect(() => {
    void restoreSession();
  }, []);

  if (!session.ready) return <Spinner label="Starting Edgegram" />;
  const open = PUBLIC.some((path) => location === path);
  if (!session.user && !open) return <Redirect to={`/login?next=${encodeURIComponent(location)}`} replace />;
  // An account pending deletion reaches nothing but its restore page (docs/accounts.md).
  if (session.user?.deletion_scheduled_for) return <PendingDeletion user={session.user} />;

  const screens = (
    <Suspense fallback={<Spinner />}>
      <Switch>
        <Route path="/login" component={LoginScreen} />
        <Route path="/signup" component={SignupScreen} />
        <Route path="/verify-email" component={VerifyEmailScreen} />
        <Route path="/reset-password" component={ResetPasswordScreen} />
        <Route path="/" component={FeedScreen} />
        <Route path="/p/:id" component={PostScreen} />
        <Route path="/new" component={ComposerScreen} />
        <Route path="/u/:username" component={ProfileScreen} />
        <Route path="/u/:username/:list" component={FollowListScreen} />
        <Route path="/requests" component={FollowRequestsScreen} />
        <Route path="/stories/:username" component={StoryViewerScreen} />
        <Route path="/direct" component={InboxScreen} />
        <Route path="/direct/:id" component={ConversationScreen} />
        <Route path="/notifications" component={NotificationsScreen} />
        <Route path="/search" component={SearchScreen} />
        <Route path="/explore" component={ExploreScreen} />
        <Route path="/tags/:tag" component={TagScreen} />
        <Route path="/live" component={LiveListScreen} />
        <Route path="/live/:id" component={LiveScreen} />
        <Route path="/settings" component={SettingsScreen} nest />
        <Route>
          <NotFound />
        </Route>
      </Switch>
    </Suspense>
  );
  // Signed-out screens stand alone; the rest sit in the app's frame (navigation, badges).
  return session.user && !open ? (
    <Layout>{screens}</Layout>
  ) : (
    <main className="mx-auto max-w-sm px-4 py-10">{screens}</main>
  );
}

function NotFound() {
  return (
    <section className="px-4 py-16 text-center">
      <h1 className="text-xl font-semibold">This page isn't here</h1>
      <p className="mt-2 text-neutral-600">The link may be broken, or the page may have been removed.</p>
    </section>
  );
}
