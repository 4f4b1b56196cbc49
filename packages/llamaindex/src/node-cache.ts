import type { TextNode } from '@llamaindex/core/schema';

/**
 * The node objects a store has returned, by id, held weakly. LlamaIndex's retriever keeps the
 * first node object it saw for an id (`indexStruct.nodesDict`) and returns that one ever after,
 * so a fresh object per query would leave it the first query's scores. Handing back the same
 * object, refreshed, keeps `metadata.m3kit` current; nodes nobody holds any more are let go.
 */
export class NodeCache {
  private readonly nodes = new Map<string, WeakRef<TextNode<Record<string, unknown>>>>();
  private readonly registry = new FinalizationRegistry<string>((id) => {
    if (this.nodes.get(id)?.deref() === undefined) this.nodes.delete(id);
  });

  /** The node already handed out for `id`, refreshed from `fresh`; else `fresh`, remembered. */
  reuse(fresh: TextNode<Record<string, unknown>>): TextNode<Record<string, unknown>> {
    const known = this.nodes.get(fresh.id_)?.deref();
    if (known === undefined) {
      this.nodes.set(fresh.id_, new WeakRef(fresh));
      this.registry.register(fresh, fresh.id_);
      return fresh;
    }
    known.setContent(fresh.text);
    known.metadata = fresh.metadata;
    known.excludedEmbedMetadataKeys = fresh.excludedEmbedMetadataKeys;
    known.excludedLlmMetadataKeys = fresh.excludedLlmMetadataKeys;
    known.relationships = fresh.relationships;
    return known;
  }
}
