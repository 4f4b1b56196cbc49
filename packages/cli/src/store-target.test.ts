import { describe, expect, it } from 'vitest';
import { Redactor } from './output/redactor.js';
import { parseStoreTarget, redactUrl, type StoreTarget } from './store/store-target.js';
import { UsageError } from './usage-error.js';

function parse(
  store: string | undefined,
  extra: {
    collection?: string;
    env?: Record<string, string>;
    credentials?: Record<string, string>;
  } = {},
): {
  target: StoreTarget;
  redactor: Redactor;
} {
  const redactor = new Redactor();
  const target = parseStoreTarget({
    store,
    collection: extra.collection,
    dataDir: undefined,
    credentials: extra.credentials ?? {},
    env: extra.env ?? {},
    cwd: '/work/project',
    command: 'ingest',
    redactor,
  });
  return { target, redactor };
}

describe('parseStoreTarget', () => {
  it('defaults to the embedded store under ./.m3kit', () => {
    expect(parse(undefined).target).toMatchObject({
      kind: 'memory',
      collection: 'm3kit',
      path: '/work/project/.m3kit/m3kit.m3store',
    });
    expect(parse('memory', { collection: 'docs' }).target).toMatchObject({
      path: '/work/project/.m3kit/docs.m3store',
    });
    expect(parse(undefined, { env: { M3_STORE: 'qdrant://h/c' } }).target.kind).toBe('qdrant');
  });

  it('reads host, port, collection and TLS from each scheme', () => {
    expect(parse('qdrant://localhost:6333/docs').target).toMatchObject({
      kind: 'qdrant',
      url: 'http://localhost:6333',
      collection: 'docs',
    });
    expect(parse('qdrant+https://q.example.com/docs').target).toMatchObject({
      url: 'https://q.example.com:6333',
    });
    expect(parse('milvus://127.0.0.1:19530/docs').target).toMatchObject({
      kind: 'milvus',
      address: '127.0.0.1:19530',
      ssl: false,
    });
    expect(parse('milvus+https://m.example.com/docs').target).toMatchObject({
      ssl: true,
      address: 'm.example.com:19530',
    });
    expect(parse('es://localhost:9200/notes').target).toMatchObject({
      kind: 'elastic',
      node: 'http://localhost:9200',
      collection: 'notes',
    });
    expect(parse('es+https://[::1]:9243/notes').target).toMatchObject({
      node: 'https://[::1]:9243',
    });
    expect(parse('elasticsearch://e/notes').target).toMatchObject({
      kind: 'elastic',
      node: 'http://e:9200',
    });
    expect(parse('qdrant://h:1', { collection: 'other' }).target.collection).toBe('other');
  });

  it('takes credentials from flags first, then the environment', () => {
    expect(parse('qdrant://h/c', { env: { QDRANT_API_KEY: 'env-key' } }).target).toMatchObject({
      apiKey: 'env-key',
    });
    expect(
      parse('qdrant://h/c', {
        env: { QDRANT_API_KEY: 'env-key' },
        credentials: { apiKey: 'flag-key' },
      }).target,
    ).toMatchObject({ apiKey: 'flag-key' });
    expect(parse('es://h/c', { env: { ES_API_KEY: 'k' } }).target).toMatchObject({ apiKey: 'k' });
    expect(
      parse('es://h/c', { env: { ES_USERNAME: 'u', ES_PASSWORD: 'p4ss' } }).target,
    ).toMatchObject({ username: 'u', password: 'p4ss' });
    expect(parse('milvus://h/c', { env: { MILVUS_TOKEN: 'tok' } }).target).toMatchObject({
      token: 'tok',
    });
    expect(parse('milvus://root:Milvus@h/c').target).toMatchObject({ token: 'root:Milvus' });
  });

  it('never shows a credential in the display form, and registers every one for redaction', () => {
    const { target, redactor } = parse('es+https://elastic:hunter22@es.example.com:9243/logs', {
      env: { ES_API_KEY: 'secret-value' },
    });
    expect(target.display).toBe('es+https://es.example.com:9243/logs');
    expect(JSON.stringify(target.display)).not.toContain('hunter22');
    const leaked = `failed: Authorization: Basic ${Buffer.from('elastic:hunter22').toString('base64')} pw=hunter22 key=secret-value`;
    expect(redactor.redact(leaked)).toBe('failed: Authorization: Basic *** pw=*** key=***');
    expect(redactUrl('es://user:pa%40ss@h:9200/i')).toBe('es://***@h:9200/i');
  });

  it.each([
    ['redis://h/c', /unknown scheme/],
    ['qdrant://h/a/b', /one collection name/],
    ['qdrant://h/Bad-Name', /collection name/],
    ['not a url', /not a store URL/],
  ])('rejects %s', (store, message) => {
    expect(() => parse(store)).toThrowError(message);
    try {
      parse(store);
    } catch (error) {
      expect(UsageError.isInstance(error)).toBe(true);
    }
  });

  it('rejects a --collection that contradicts the URL', () => {
    expect(() => parse('qdrant://h/docs', { collection: 'other' })).toThrowError(/differs/);
  });
});
