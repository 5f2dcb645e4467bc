// One Lighthouse run for bench/lighthouse.py, signed in the way a browser is: the session
// cookie is set in Chromium itself (so the page's own requests, its websocket and its
// service worker carry it too, which an extra request header would not), then Lighthouse
// runs against that Chromium with its defaults (mobile emulation, simulated slow 4G).
//   node run.mjs <url> <output.json> [<cookie header>]
// CHROME_PATH names the browser (Debian's /usr/bin/chromium); nothing is downloaded.
import fs from "node:fs";
import * as chromeLauncher from "chrome-launcher";
import lighthouse from "lighthouse";
import CDP from "puppeteer-core";

const [url, output, cookieHeader] = process.argv.slice(2);
const chrome = await chromeLauncher.launch({
  chromePath: process.env.CHROME_PATH,
  chromeFlags: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => chrome.kill().finally(() => process.exit(1))); // no orphan browser
}
try {
  if (cookieHeader) {
    const browser = await CDP.connect({ browserURL: `http://127.0.0.1:${chrome.port}` });
    const origin = new URL(url);
    const cookies = cookieHeader.split("; ").map((pair) => {
      const at = pair.indexOf("=");
      return { name: pair.slice(0, at), value: pair.slice(at + 1), domain: origin.hostname, path: "/" };
    });
    const page = (await browser.pages())[0] || (await browser.newPage());
    await page.setCookie(...cookies); // the default context's cookie jar: Lighthouse's tab too
    await browser.disconnect();
  }
  const result = await lighthouse(url, {
    port: chrome.port,
    output: "json",
    logLevel: "error",
    onlyCategories: ["performance", "accessibility", "best-practices", "seo"],
    maxWaitForLoad: 60000,
  });
  fs.writeFileSync(output, result.report);
} finally {
  await chrome.kill();
}
