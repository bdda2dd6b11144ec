// Renders Mermaid diagrams with Mermaid's own JS (npm `mermaid`, its browser bundle) in
// headless Chromium and reports what happened to each: the parse or render error, whether
// Mermaid drew its "Syntax error" or "Maximum text size" picture instead, the size of the
// drawing, its elements, its text, anything in it that could run code, and the subgraph
// titles that boxes are drawn over. The test
// (crates/core/tests/browser.rs) judges the report.
//
//   node mermaid.mjs input.json output.json
//   input:  {"diagrams": [{"name": "...", "text": "flowchart TB ...", "png": "out.png"?,
//                          "max_width": 2000?}
//                         or {"name", "texts": [...], "captions": [...]?, "columns": 4,
//                             "cell": 380, "png"}]}
//   output: {"version": "11.x", "diagrams": [{"name", "ms", "error", ...}], "requests": [...],
//            "console_errors": [...], "page_errors": [...], "pwned": null}
//
// Mermaid runs with its defaults (securityLevel strict, maxTextSize 50,000), the limits
// GitHub's renderer applies too. An entry with "png" is also saved as a screenshot, at its
// natural size or shrunk to "max_width"; one with "texts" is a contact sheet of several
// diagrams in a grid (for the README's pictures only).

import path from 'node:path';
import {
  DANGERS,
  TAG_COUNTS,
  io,
  launch,
  nodeModules,
  onPages,
  requireFromModules,
  watch,
} from './chromium.mjs';

const { input, done } = io();
const { version } = requireFromModules('mermaid/package.json');
const seen = { requests: [], console_errors: [], page_errors: [] };
const browser = await launch();
try {
  const open = async () => {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    watch(page, seen);
    await page.setContent(
      '<!DOCTYPE html><html><body style="margin:0;background:#fff">' +
        '<div id="out" style="display:inline-block;padding:8px"></div></body></html>',
    );
    await page.addScriptTag({ path: path.join(nodeModules, 'mermaid/dist/mermaid.min.js') });
    await page.evaluate(() => window.mermaid.initialize({ startOnLoad: false }));
    return page;
  };
  const draw = async (page, diagram, index) => {
    const started = Date.now();
    const facts = await page.evaluate(
      async ({ index, text, maxWidth, tagCounts, dangers }) => {
        const out = document.getElementById('out');
        out.replaceChildren();
        const facts = { error: null };
        try {
          await window.mermaid.parse(text);
          const { svg } = await window.mermaid.render(`diagram-${index}`, text);
          facts.svg_length = svg.length;
          facts.error_picture = /Syntax error|Maximum text size|aria-roledescription="error"/.test(svg);
          // Inserted as a page would show it: an injected handler would run here.
          out.innerHTML = svg;
          // Mermaid draws at width 100% up to the natural size: show the natural size.
          const drawing = out.querySelector('svg');
          const view = drawing.viewBox.baseVal;
          drawing.style.maxWidth = 'none';
          const scale = Math.min(1, (maxWidth || view.width) / view.width);
          drawing.setAttribute('width', String(view.width * scale));
          drawing.setAttribute('height', String(view.height * scale));
          const box = drawing.getBoundingClientRect();
          facts.width = Math.round(box.width);
          facts.height = Math.round(box.height);
          facts.elements = new Function(`return (${tagCounts})`)()(out);
          facts.dangers = new Function(`return (${dangers})`)()(out, false);
          facts.text = out.textContent;
          // Boxes drawn over a subgraph's title hide it (a subnet's id, its rule ids).
          const boxes = (selector) =>
            [...out.querySelectorAll(selector)].map((g) => [g.textContent, g.getBoundingClientRect()]);
          const nodes = boxes('g.node');
          facts.hidden_titles = [];
          for (const [title, t] of boxes('g.cluster-label')) {
            for (const [node, n] of nodes) {
              if (t.left < n.right && n.left < t.right && t.top < n.bottom && n.top < t.bottom) {
                facts.hidden_titles.push(`${title} under ${node}`);
              }
            }
          }
        } catch (error) {
          facts.error = String(error && error.message ? error.message : error);
        }
        return facts;
      },
      { index, text: diagram.text, maxWidth: diagram.max_width, tagCounts: TAG_COUNTS.toString(), dangers: DANGERS.toString() },
    );
    if (diagram.png && !facts.error) {
      await page.locator('#out').screenshot({ path: diagram.png });
    }
    return { name: diagram.name, ms: Date.now() - started, ...facts };
  };
  // A contact sheet: several diagrams side by side, each shrunk to one cell.
  const sheet = async (page, entry, index) => {
    const error = await page.evaluate(
      async ({ index, texts, captions, columns, cell }) => {
        const out = document.getElementById('out');
        out.replaceChildren();
        out.style.display = 'grid';
        out.style.gridTemplateColumns = `repeat(${columns}, ${cell}px)`;
        out.style.gap = '8px';
        try {
          for (const [n, text] of texts.entries()) {
            const { svg } = await window.mermaid.render(`sheet-${index}-${n}`, text);
            const holder = document.createElement('div');
            holder.innerHTML = svg;
            const caption = document.createElement('div');
            caption.style.font = '14px sans-serif';
            caption.textContent = captions ? captions[n] : '';
            holder.prepend(caption);
            const drawing = holder.querySelector('svg');
            drawing.style.maxWidth = 'none';
            drawing.setAttribute('width', String(cell));
            drawing.removeAttribute('height');
            out.append(holder);
          }
          return null;
        } catch (error) {
          return String(error && error.message ? error.message : error);
        }
      },
      { index, texts: entry.texts, captions: entry.captions, columns: entry.columns, cell: entry.cell },
    );
    if (!error) await page.locator('#out').screenshot({ path: entry.png });
    await page.evaluate(() => {
      const out = document.getElementById('out');
      out.replaceChildren();
      out.style.display = 'inline-block';
    });
    return { name: entry.name, error };
  };
  const { results, pages } = await onPages(open, input.diagrams, (page, entry, index) =>
    entry.texts ? sheet(page, entry, index) : draw(page, entry, index),
  );
  // Give any handler that an injected element registered a moment to fire.
  await pages[0].waitForTimeout(200);
  let pwned = null;
  for (const page of pages) {
    pwned = pwned || (await page.evaluate(() => (window.__pwned === undefined ? null : String(window.__pwned))));
  }
  done({ version, diagrams: results, pwned, ...seen });
} finally {
  await browser.close();
}
