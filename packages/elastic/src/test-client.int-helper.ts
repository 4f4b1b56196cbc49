import { Client } from '@elastic/elasticsearch';
import { Client as Client9 } from '@elastic/elasticsearch-9';

/**
 * The client major the real-server tests use: M3KIT_ES_CLIENT_MAJOR=9 (CI's Elasticsearch 9.x
 * step) gives the 9.x client (a dev-dependency alias), otherwise the 8.x client this package
 * depends on. The 9.x client sends `compatible-with=9` headers, which an 8.x server refuses.
 */
export const CLIENT_MAJOR: 8 | 9 = process.env.M3KIT_ES_CLIENT_MAJOR === '9' ? 9 : 8;

/**
 * A real client of that major. Typed as the 8.x Client, whose API the tests call (index create,
 * exists, count): the 9.x client has the same calls, and the store takes either (ElasticClient).
 */
export function testClient(node: string): Client {
  return CLIENT_MAJOR === 9 ? (new Client9({ node }) as unknown as Client) : new Client({ node });
}
