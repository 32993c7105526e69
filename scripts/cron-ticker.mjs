// `npm start` only: wrangler dev does not run the Worker's crons by itself, so this fires them
// through its local trigger (/cdn-cgi/local/scheduled) on the schedules wrangler.toml declares:
// the outbox sender every minute and the clean-up at minute 17 of each hour. It exits when the
// process it watches (wrangler dev) is gone.
const [watchedPid, port] = process.argv.slice(2).map(Number);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function fire(cron) {
  const url = `http://127.0.0.1:${port}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(cron)}`;
  try {
    await fetch(url);
  } catch {
    // The server is still starting or restarting: the next tick tries again.
  }
}

const timer = setInterval(async () => {
  if (!alive(watchedPid)) {
    clearInterval(timer);
    return;
  }
  await fire("* * * * *");
  if (new Date().getUTCMinutes() === 17) await fire("17 * * * *");
}, 60_000);
