export { M3EmbeddingModel, m3EmbeddingModel } from './m3-embedding-model.js';
export type { M3EmbeddingModelSettings, M3EmbeddingProviderOptions } from './m3-embedding-model.js';
export { formatContext, m3Retrieve } from './m3-retrieve.js';
export type { M3Retrieval, M3RetrievedHit, M3RetrieveSettings } from './m3-retrieve.js';
export { m3SearchTool } from './m3-search-tool.js';
export type { M3SearchInput, M3SearchToolSettings } from './m3-search-tool.js';
