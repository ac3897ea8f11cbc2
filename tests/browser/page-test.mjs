// page-test.mjs - the device's web page in a real browser (issue 15): Debian's
// Chromium driven by puppeteer-core. Run by tests/e2e/40-browser.sh inside the
// test's network namespace, next to the simulator in TAP mode.
//
//   node page-test.mjs --url URL --sim-pid PID --chromium PATH --profile DIR [--shot PNG]
//
// Checks, each printed as "ok ..." or "FAIL ...": the page loads, the device
// time advances, clicking an LED switch changes the switch and /api/status,
// a press of the simulator's button (SIGUSR1 to --sim-pid) raises the count
// on the page and in /api/status, "Set from this computer" sets the device
// clock to this machine's, the throughput chart has points, the error banner
// stays hidden, a form on a page of another origin that POSTs to the device is
// refused (403, the LED unchanged), light and dark colour schemes both apply, and the browser
// logged no console error or page exception.
// Exit status: 0 all passed, 1 a check failed, 2 bad usage or no puppeteer.
// Limits: every wait is bounded (WAIT_MS); the whole run takes about 10 s.
import http from "node:http";
import process from "node:process";

const WAIT_MS = 10000;

function usage(msg) {
  console.error("page-test: " + msg);
  console.error("usage: node page-test.mjs --url URL --sim-pid PID --chromium PATH --profile DIR [--shot PNG]");
  process.exit(2);
}
const opt = {};
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i], v = process.argv[i + 1];
  if (!["--url", "--sim-pid", "--chromium", "--profile", "--shot"].includes(k) || v === undefined)
    usage("bad argument " + JSON.stringify(k));
  opt[k.slice(2)] = v;
}
for (const k of ["url", "sim-pid", "chromium", "profile"]) if (!opt[k]) usage("missing --" + k);
const simPid = Number(opt["sim-pid"]);
if (!Number.isInteger(simPid) || simPid <= 1) usage("--sim-pid must be a process id");

let puppeteer;
try {
  puppeteer = (await import("puppeteer-core")).default;
} catch (e) {
  console.error("page-test: FAIL puppeteer-core is not installed (make deps installs it into tests/browser/node_modules): " + e.message);
  process.exit(2);
}

let failed = 0;
const ok = (m) => console.log("ok    " + m);
const fail = (m) => { console.log("FAIL  " + m); failed++; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Polls fn() until it returns a truthy value or WAIT_MS passes; returns the value or null.
async function until(fn) {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > end) return null;
    await sleep(100);
  }
}

const consoleErrors = [];
const browser = await puppeteer.launch({
  executablePath: opt.chromium,
  headless: true,
  userDataDir: opt.profile,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  await page.setViewport({width: 1024, height: 720});
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push("console: " + m.text()); });
  page.on("pageerror", (e) => consoleErrors.push("exception: " + e.message));
  page.on("requestfailed", (r) => consoleErrors.push("request failed: " + r.url() + " " + (r.failure() || {}).errorText));
  const api = () => page.evaluate(async () => (await fetch("/api/status", {cache: "no-store"})).json());
  const text = (sel) => page.$eval(sel, (e) => e.textContent);

  const resp = await page.goto(opt.url, {waitUntil: "load", timeout: WAIT_MS});
  if (resp && resp.ok()) ok("page loaded: HTTP " + resp.status() + ", " + (resp.headers()["content-encoding"] || "identity"));
  else fail("page load: " + (resp ? "HTTP " + resp.status() : "no response"));

  // device time shows and advances
  const t1 = await until(async () => { const t = await text("#time"); return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(t) && t; });
  if (!t1) fail("#time never showed a date-time");
  else {
    const t2 = await until(async () => { const t = await text("#time"); return t !== t1 && t; });
    if (t2 && t2 > t1) ok("device time advances: " + t1 + " -> " + t2);
    else fail("device time did not advance from " + t1 + " (now " + t2 + ")");
  }

  // the link's class from /api/status link.class ("tap" in this TAP-mode test)
  const cl = (await api()).link.class;
  const clt = await until(async () => { const t = await text("#class"); return /TAP|CDC-/.test(t) && t; });
  if (cl === "tap" && clt && clt.includes("TAP")) ok("link class: /api/status link.class " + cl + ", page \"" + clt + "\"");
  else fail("link class: /api/status link.class " + cl + ", page \"" + clt + "\"");

  // the firmware update button asks first; saying no changes nothing
  let asked = "";
  const onDialog = async (d) => { asked = d.message(); await d.dismiss(); };
  page.on("dialog", onDialog);
  await page.click("#dfu");
  await sleep(300);
  page.off("dialog", onDialog);
  const still = await api().catch(() => null);
  if (/bootloader/i.test(asked) && still && still.hostname) ok("DFU button asks first (\"" + asked.slice(0, 40) + "...\"), cancel keeps the device running");
  else fail("DFU button: dialog \"" + asked + "\", device " + (still ? "up" : "gone"));

  // an LED switch: the page and the device both change
  const s0 = await api();
  const want = s0.leds[2] ? 0 : 1;
  await page.click("#led2");
  const sw = await until(async () => (await page.$eval("#led2", (e) => e.getAttribute("aria-checked"))) === (want ? "true" : "false"));
  const dev = await until(async () => (await api()).leds[2] === want);
  await sleep(1500);      // a poll later the switch must still agree with the device
  const sw2 = await page.$eval("#led2", (e) => e.getAttribute("aria-checked"));
  if (sw && dev && sw2 === (want ? "true" : "false")) ok("LED 2 (orange) switch -> " + want + " on the page and in /api/status");
  else fail("LED 2 switch: page " + !!sw + "/" + sw2 + ", /api/status " + !!dev + " (wanted " + want + ")");

  // the simulator's button (SIGUSR1): the count goes up by one
  const p0 = (await api()).button_presses;
  process.kill(simPid, "SIGUSR1");
  const p1 = await until(async () => { const j = await api(); return j.button_presses === p0 + 1 && j; });
  const shown = await until(async () => (await text("#presses")).startsWith((p0 + 1) + " press"));
  if (p1 && shown) ok("button press counted: " + p0 + " -> " + (p0 + 1) + " in /api/status and on the page");
  else fail("button press: /api/status " + (p1 ? "ok" : "no change") + ", page shows '" + (await text("#presses")) + "'");

  // set the device time from this computer
  await page.click("#settime");
  const set = await until(async () => { const j = await api(); return j.time_set && j; });
  if (!set) fail("time_set stayed false after clicking 'Set from this computer'");
  else {
    const skew = Math.abs(Date.parse(set.time) - Date.now()) / 1000;
    const tset = await until(async () => (await text("#tset")) === "set");
    if (skew < 5 && tset) ok("device time set from this computer: " + set.time + " (" + skew.toFixed(1) + " s off)");
    else fail("device time after setting: " + set.time + ", " + skew.toFixed(1) + " s off, page says '" + (await text("#tset")) + "'");
  }

  // the chart: points for both directions
  const pts = await until(async () => {
    const n = await page.$$eval("#chart polyline", (ls) => ls.map((l) => l.getAttribute("points").trim().split(/\s+/).filter(Boolean).length));
    return n.length === 2 && n[0] >= 3 && n[1] >= 3 && n;
  });
  if (pts) ok("chart has points: " + pts[0] + " in, " + pts[1] + " out");
  else fail("chart has fewer than 3 points per line");

  const banner = await page.$eval("#msg", (e) => e.classList.contains("show") ? e.textContent : "");
  if (banner === "") ok("no error banner");
  else fail("error banner shown: " + banner);

  // the cross-site form POST of the CSRF finding: a page of another origin (a
  // server on 127.0.0.1 here) auto-submits a form to the device; Chromium
  // sends it with Origin http://127.0.0.1:PORT and Sec-Fetch-Site cross-site,
  // the device answers 403 and LED 3 stays off
  {
    const led3 = (await api()).leds[3];
    const dev = new URL(opt.url).origin;
    const srv = http.createServer((req, res) => {
      res.writeHead(200, {"Content-Type": "text/html"});
      res.end(`<form method="post" action="${dev}/api/led"><input name="n" value="3">` +
              `<input name="state" value="toggle"></form><script>document.forms[0].submit()</script>`);
    });
    await new Promise((r) => srv.listen(0, "127.0.0.1", r));
    const evil = await browser.newPage();
    try {
      const posted = evil.waitForResponse((r) => r.url() === dev + "/api/led" && r.request().method() === "POST",
                                          {timeout: WAIT_MS});
      await evil.goto("http://127.0.0.1:" + srv.address().port + "/", {timeout: WAIT_MS});
      const r = await posted;
      const body = await r.text().catch(() => "");
      const origin = r.request().headers()["origin"] || "";
      const after = (await api()).leds[3];
      if (r.status() === 403 && after === led3 && origin.startsWith("http://127.0.0.1:"))
        ok("cross-site form POST (Origin " + origin + "): " + r.status() + " " + body + ", LED 3 unchanged");
      else fail("cross-site form POST (Origin " + origin + "): " + r.status() + " " + body + ", LED 3 " + led3 + " -> " + after);
    } finally {
      await evil.close();
      srv.close();
    }
  }

  if (opt.shot) {
    await page.screenshot({path: opt.shot});
    ok("screenshot " + opt.shot);
  }

  // light and dark follow prefers-color-scheme
  const colours = async (scheme) => {
    await page.emulateMediaFeatures([{name: "prefers-color-scheme", value: scheme}]);
    return page.evaluate(() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]);
  };
  const light = await colours("light"), dark = await colours("dark");
  const lum = (c) => { const m = c.match(/\d+/g).map(Number); return (m[0] + m[1] + m[2]) / 3; };
  if (lum(light[0]) > 128 && lum(dark[0]) < 128 && lum(dark[1]) > 128)
    ok("light and dark schemes: background " + light[0] + " / " + dark[0]);
  else fail("colour schemes: light " + light + ", dark " + dark);
  if (opt.shot) {
    const darkShot = opt.shot.replace(/\.png$/, "") + "-dark.png";
    await page.screenshot({path: darkShot});
    ok("screenshot " + darkShot);
  }
} catch (e) {
  fail("exception in the test: " + (e && e.stack || e));
} finally {
  await browser.close();
}
if (consoleErrors.length === 0) ok("no console errors");
else for (const e of consoleErrors) fail(e);
console.log(failed ? "page-test: " + failed + " check(s) failed" : "page-test: all checks passed");
process.exit(failed ? 1 : 0);
