/** The stories tray above the feed (built in the stories screens' change). */
export function StoriesTray() {
  return null;
}
