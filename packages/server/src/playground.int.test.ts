/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExactStore, filters, ingest } from '@m3kit/core';
import { M3Encoder } from '@m3kit/encoder';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createM3Server, type M3Server } from './index.js';
import { TINY_MODEL, sampleDocuments } from './test-support/fixture.js';

// Debian's Chromium, driven by playwright-core: no browser download.
const CHROMIUM = process.env.M3KIT_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
// In CI (.ci/run installs it) a missing browser fails the test instead of skipping it.
const skip = !hasChromium && !process.env.CI;
if (skip)
  console.warn(
    `SKIPPED: playground browser test: no Chromium at ${CHROMIUM} (apt-get install chromium, or set M3KIT_CHROMIUM)`,
  );

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(skip)('the playground in headless Chromium', () => {
  let encoder: M3Encoder;
  let store: ExactStore;
  let server: M3Server;
  let base: string;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    encoder = await M3Encoder.load(TINY_MODEL, { threads: 1 });
    store = new ExactStore({ collection: { name: 'sample', denseDimension: 32 } });
    await store.ensureCollection();
    await ingest(sampleDocuments(), { encoder, store });
    const parseFilter = (expression: string) => {
      const [field, value] = expression.split('=');
      if (!field || value === undefined)
        throw new Error(`expected field=value, got ${JSON.stringify(expression)}`);
      return filters.eq(field.trim(), value.trim());
    };
    server = await createM3Server({ encoder, stores: [store], parseFilter });
    base = await server.listen({ port: 0 });
    profile = await mkdtemp(join(tmpdir(), 'm3kit-chromium-'));
    // launchPersistentContext takes the fresh profile directory as --user-data-dir.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1200, height: 760 },
      timeout: 60_000,
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(20_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await store?.close();
    await encoder?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  }, 60_000);

  it('lists the collection, ranks a query with three score bars per hit', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/`);
    await expect.poll(() => page.locator('#collection option').count()).toBe(1);
    expect(await page.locator('#collection option').first().textContent()).toContain(
      'sample (exact, 30 points)',
    );
    await page.fill('#query', 'how do I reset my password');
    await page.click('#query-form button');
    await page.waitForSelector('.hit:nth-child(10)');
    expect(await page.locator('.hit').count()).toBe(10);
    expect(await page.locator('.hit').first().locator('.bar').count()).toBe(3);
    const widths = await page
      .locator('.hit:first-child .bar > i')
      .evaluateAll((bars) => bars.map((b) => (b as HTMLElement).style.width));
    for (const width of widths) expect(Number.parseFloat(width)).toBeGreaterThan(0);
    expect(await page.textContent('#execution')).toContain('exact');
    expect(errors).toEqual([]);
  }, 60_000);

  it('moving a weight re-ranks and marks what moved', async () => {
    const before = await page.locator('.hit .id').allTextContents();
    // The tiny model's sparse scores spread widest, so they lead by default: taking sparse out re-ranks.
    await page.locator('#w-sparse').fill('0');
    await expect.poll(() => page.textContent('output[for="w-sparse"]')).toBe('0.00');
    await expect
      .poll(async () => page.locator('.move.up, .move.down, .move.new').count(), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    const after = await page.locator('.hit .id').allTextContents();
    expect(after).not.toEqual(before);
    const moved = await page
      .locator('.hit')
      .evaluateAll((hits) =>
        hits.map((h) => [
          h.querySelector('.id')?.textContent,
          h.querySelector('.move')?.textContent,
        ]),
      );
    for (const [id, badge] of moved) {
      const was = before.indexOf(id!);
      const now = after.indexOf(id!);
      expect(badge).toBe(
        was < 0 ? 'new' : was === now ? '=' : was > now ? `▲${was - now}` : `▼${now - was}`,
      );
    }
    // Weights 0 leave dense and ColBERT out: each hit's score is its sparse score, sorted by it.
    await page.locator('#w-dense').fill('0');
    await page.locator('#w-colbert').fill('0');
    await page.locator('#w-sparse').fill('1');
    await expect.poll(() => page.locator('.hit .bar').count(), { timeout: 15_000 }).toBe(10);
    const sparse = await page
      .locator('.hit')
      .evaluateAll((hits) =>
        hits.map((h) => Number(h.querySelectorAll('.bars .value')[0]?.textContent)),
      );
    expect(sparse).toEqual([...sparse].sort((a, b) => b - a));
    for (const [signal, value] of [
      ['dense', '0.4'],
      ['colbert', '0.4'],
      ['sparse', '0.2'],
    ] as const)
      await page.locator(`#w-${signal}`).fill(value);
    await expect.poll(() => page.locator('.hit:first-child .bar').count()).toBe(3);
  }, 60_000);

  it('filters with the filter box and reports a bad filter naming the field', async () => {
    await page.fill('#filter', 'lang=de');
    await page.press('#filter', 'Enter');
    await page.locator('#filter').dispatchEvent('change');
    await expect
      .poll(async () =>
        (await page.locator('.hit .id').allTextContents()).every((id) => id.startsWith('de-')),
      )
      .toBe(true);
    expect(await page.locator('.hit').count()).toBeGreaterThan(0);
    await page.fill('#filter', 'lang');
    await page.locator('#filter').dispatchEvent('change');
    await expect.poll(() => page.textContent('#status')).toContain('body.filter_expr');
    await page.fill('#filter', '');
    await page.locator('#filter').dispatchEvent('change');
    await page.waitForSelector('.hit:nth-child(10)');
  }, 60_000);

  it('"why?" shows shared lexical tokens with weights and ColBERT row matches', async () => {
    await page.click('.hit:first-child button.why');
    await page.waitForSelector('#why:not([hidden]) #why-colbert tbody tr');
    expect(await page.locator('#why-lexical tbody tr').count()).toBeGreaterThan(0);
    const queryTokens = await page
      .locator('#why-colbert tbody tr td:first-child')
      .allTextContents();
    expect(queryTokens.at(-1)).toBe('</s>');
    expect(await page.textContent('#why-scores')).toMatch(
      /dense [\d.-]+\s*sparse [\d.-]+\s*ColBERT [\d.-]+/,
    );
  }, 60_000);

  it('the screenshot shows the page: the right size, and the three signal colours as bars', async () => {
    await page.locator('#w-sparse').fill('0.05');
    await expect
      .poll(async () => page.locator('.move.up, .move.down, .move.new').count(), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    await page.waitForSelector('#why:not([hidden]) #why-colbert tbody tr');
    const png = await page.screenshot({ fullPage: false });
    if (process.env.M3KIT_SCREENSHOT_OUT) await writeFile(process.env.M3KIT_SCREENSHOT_OUT, png);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1200);
    expect(png.readUInt32BE(20)).toBe(760);
    // Decode the screenshot in the page itself (no PNG library) and count pixels of each bar colour.
    const counts = await page.evaluate(
      async (dataUrl) => {
        const image = new Image();
        image.src = dataUrl;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = image.width;
        canvas.height = image.height;
        const context = canvas.getContext('2d')!;
        context.drawImage(image, 0, 0);
        const { data } = context.getImageData(0, 0, image.width, image.height);
        const targets = {
          dense: [0x2f, 0x6f, 0xde],
          sparse: [0xe0, 0x86, 0x1b],
          colbert: [0x2a, 0x9d, 0x5c],
        } as const;
        const result: Record<string, number> = { dense: 0, sparse: 0, colbert: 0, white: 0 };
        for (let i = 0; i < data.length; i += 4) {
          for (const [name, [r, g, b]] of Object.entries(targets)) {
            if (
              Math.abs(data[i]! - r) < 12 &&
              Math.abs(data[i + 1]! - g) < 12 &&
              Math.abs(data[i + 2]! - b) < 12
            )
              result[name]! += 1;
          }
          if (data[i]! > 250 && data[i + 1]! > 250 && data[i + 2]! > 250) result.white! += 1;
        }
        return result;
      },
      `data:image/png;base64,${png.toString('base64')}`,
    );
    for (const signal of ['dense', 'sparse', 'colbert'])
      expect(counts[signal], signal).toBeGreaterThan(200);
    // Not a blank page: most of it is not white, most of it is not one colour.
    expect(counts.white!).toBeLessThan(1200 * 760 * 0.9);
  }, 60_000);
});
