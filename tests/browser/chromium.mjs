// Shared by the browser tests' drivers: Playwright (npm `playwright-core`) from the directory
// named by VPCAUDIT_NODE_MODULES, driving the Chromium named by VPCAUDIT_CHROMIUM (Debian's
// `chromium`). The machine running the tests may have no internet: every background service
// that would phone home is switched off, and every request a page makes is recorded.

import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

export const nodeModules = required('VPCAUDIT_NODE_MODULES');
const chromiumPath = required('VPCAUDIT_CHROMIUM');

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
}

// ES modules ignore NODE_PATH: resolve the packages from the given node_modules instead.
export const requireFromModules = createRequire(path.join(nodeModules, 'noop.js'));

export async function launch() {
  const { chromium } = requireFromModules('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/// Records what the page does on its own into `seen`: every request, console error and
/// uncaught exception.
export function watch(page, seen = { requests: [], console_errors: [], page_errors: [] }) {
  page.on('request', (request) => seen.requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.console_errors.push(message.text());
  });
  page.on('pageerror', (error) => seen.page_errors.push(String(error)));
  return seen;
}

/// `node DRIVER input.json output.json`: the input as a value; `done` writes the output.
export function io() {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    console.error('usage: node DRIVER input.json output.json');
    process.exit(2);
  }
  return {
    input: JSON.parse(readFileSync(input, 'utf8')),
    done: (value) => writeFileSync(output, JSON.stringify(value, null, 1)),
  };
}

/// Counts of each element name under `root` (run in the page).
export const TAG_COUNTS = (root) => {
  const counts = {};
  for (const element of root.querySelectorAll('*')) {
    const tag = element.tagName.toLowerCase();
    counts[tag] = (counts[tag] || 0) + 1;
  }
  return counts;
};

/// Elements and attributes under `root` that could run code or load something (run in the
/// page): none may come from a name in the account. `scripts` are the page's own `<script>`s
/// to leave out (the caller counts them).
export const DANGERS = (root, scripts) => {
  const found = [];
  for (const element of root.querySelectorAll('*')) {
    const tag = element.tagName.toLowerCase();
    if (scripts && tag === 'script') continue;
    if (['script', 'iframe', 'object', 'embed', 'img', 'image', 'link', 'meta', 'base', 'form'].includes(tag)) {
      found.push(`<${tag}>`);
    }
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.trim().toLowerCase();
      if (name.startsWith('on')) found.push(`<${tag} ${name}>`);
      if ((name === 'href' || name.endsWith(':href') || name === 'src') && !value.startsWith('#')) {
        found.push(`<${tag} ${name}="${attribute.value}">`);
      }
    }
  }
  return found;
};

/// Runs `work(page, item, index)` over `items` on a few pages at once (Chromium gives each page
/// its own renderer process, so they draw in parallel), each page made by `open()`. Results
/// keep the order of `items`.
export async function onPages(open, items, work) {
  const count = Math.max(1, Math.min(items.length, availableParallelism()));
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: count }, async () => {
    const page = await open();
    while (next < items.length) {
      const index = next++;
      results[index] = await work(page, items[index], index);
    }
    return page;
  });
  return { results, pages: await Promise.all(workers) };
}
