// Opens vpcaudit's HTML reports from files in headless Chromium and reports what each page
// did: every request, console error and uncaught exception; its elements and anything in it
// that could run code; the finding rows left visible by each choice of the severity filter;
// and where each finding's link to the diagram leads. The test
// (crates/core/tests/browser.rs) judges the report.
//
//   node html_report.mjs input.json output.json
//   input:  {"pages": [{"name": "...", "file": "/abs/report.html", "expect_text": "..."?}]}
//   output: {"pages": [{"name", "url", "requests", "filters", "links", ...}]}

import { pathToFileURL } from 'node:url';
import { DANGERS, TAG_COUNTS, io, launch, onPages, watch } from './chromium.mjs';

const { input, done } = io();
const browser = await launch();
try {
  const check = async (tab, entry) => {
    // A fresh page per report: what one report did must not be blamed on another.
    const page = await browser.newPage();
    const seen = watch(page);
    const url = pathToFileURL(entry.file).href;
    await page.goto(url, { waitUntil: 'load' });
    const facts = await page.evaluate(
      ({ tagCounts, dangers, expectText }) => ({
        elements: new Function(`return (${tagCounts})`)()(document),
        dangers: new Function(`return (${dangers})`)()(document.body, true),
        scripts: document.scripts.length,
        rows: document.querySelectorAll('tr.finding').length,
        found_text: expectText === null ? null : document.body.textContent.includes(expectText),
      }),
      {
        tagCounts: TAG_COUNTS.toString(),
        dangers: DANGERS.toString(),
        expectText: entry.expect_text ?? null,
      },
    );
    const visibleRows = () =>
      page.$$eval('tr.finding', (rows) =>
        rows.filter((row) => row.getClientRects().length > 0).map((row) => row.dataset.severity),
      );
    facts.visible_unfiltered = (await visibleRows()).length;
    // Each severity the filter offers, chosen as a user would: the rows left visible.
    facts.filters = [];
    const severities = await page.$$eval('#filter-severity option', (options) =>
      options.map((option) => option.value).filter((value) => value !== ''),
    );
    for (const severity of severities) {
      await page.selectOption('#filter-severity', severity);
      facts.filters.push({
        severity,
        visible: await visibleRows(),
        shown: await page.textContent('#shown'),
      });
    }
    await page.selectOption('#filter-severity', '');
    // Every link from a finding to the diagram, and whether its target exists.
    facts.links = await page.$$eval('#findings-table a', (links) =>
      links.map((link) => {
        const href = link.getAttribute('href') || '';
        const target = href.startsWith('#') ? document.getElementById(href.slice(1)) : null;
        return { href, target: target ? target.tagName.toLowerCase() : null };
      }),
    );
    // Following the first one: the browser goes to the box and marks it as the target.
    if (facts.links.length > 0) {
      await page.locator('#findings-table a').first().click();
      facts.followed = await page.evaluate(() => ({
        hash: location.hash,
        target: document.querySelector(':target') ? document.querySelector(':target').id : null,
      }));
    }
    // Last, so that a handler an injected element registered has had its time to fire.
    facts.pwned = await page.evaluate(() =>
      window.__pwned === undefined ? null : String(window.__pwned),
    );
    await page.close();
    return { name: entry.name, url, ...facts, ...seen };
  };
  const { results } = await onPages(async () => null, input.pages, check);
  done({ pages: results });
} finally {
  await browser.close();
}
