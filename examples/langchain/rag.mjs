// LangChain.js with BGE-M3: the bundled multilingual sample into M3VectorStore, then a hybrid
// retriever feeding a RAG prompt. No LLM is called: the script prints the prompt it would send.
//
//   npm ci && npm run build                          # at the repository root, once
//   npm start -w @m3kit/example-langchain            # the tiny test model in fixtures/tiny-m3
//   M3_MODEL=BAAI/bge-m3 npm start -w @m3kit/example-langchain   # the real model (downloaded once)
//
// The tiny model has random weights: every code path runs in seconds, but its rankings mean
// nothing. With BAAI/bge-m3 the password-reset passages come first in every language.
// The store is m3kit's exact store in memory; any other is one line: new QdrantStore({ url,
// collection }) from @m3kit/qdrant, MilvusStore from @m3kit/milvus, ElasticStore from @m3kit/elastic.
import { fileURLToPath } from 'node:url';
import { Document } from '@langchain/core/documents';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { RunnablePassthrough, RunnableSequence } from '@langchain/core/runnables';
import { ExactStore } from '@m3kit/core';
import { M3Encoder } from '@m3kit/encoder';
import { M3Embeddings, M3VectorStore } from '@m3kit/langchain';
import { SAMPLE_FIELDS, loadSample } from '../data/load-sample.mjs';

const model =
  process.env.M3_MODEL ?? fileURLToPath(new URL('../../fixtures/tiny-m3', import.meta.url));
const encoder = await M3Encoder.load(model);
console.log(`model: ${encoder.modelId}`);

const embeddings = new M3Embeddings({ encoder });
const store = new ExactStore({
  collection: {
    name: 'sample',
    denseDimension: encoder.denseDimension,
    metadataFields: SAMPLE_FIELDS,
  },
});
const documents = loadSample().map(
  ({ id, text, metadata }) => new Document({ id, pageContent: text, metadata }),
);
const vectorStore = await M3VectorStore.fromDocuments(documents, embeddings, { store });
console.log(`ingested ${await store.count()} chunks`);

// The hybrid query as the retriever's options: all three signals, FlagEmbedding's weights, a filter.
const retriever = vectorStore.asRetriever({
  k: 3,
  fusion: { kind: 'weighted' },
  weights: { dense: 0.4, sparse: 0.2, colbert: 0.4 },
  filter: { tags: 'faq', year: { $gte: 2020 } },
});

const question = 'How do I reset my password?';
for (const document of await retriever.invoke(question)) {
  const { score, signalScores } = document.metadata.m3kit;
  const signals = Object.entries(signalScores)
    .map(([s, v]) => `${s} ${v.toFixed(3)}`)
    .join(', ');
  console.log(`${score.toFixed(4)}  ${document.id}  [${document.metadata.lang}]  (${signals})`);
}

const prompt = ChatPromptTemplate.fromMessages([
  ['system', 'Answer from the context only. Cite the ids in brackets.\n\nContext:\n{context}'],
  ['human', '{question}'],
]);
const formatContext = (docs) => docs.map((d) => `[${d.id}] ${d.pageContent}`).join('\n');
const chain = RunnableSequence.from([
  { context: retriever.pipe(formatContext), question: new RunnablePassthrough() },
  prompt,
]);
const messages = (await chain.invoke(question)).toChatMessages();
console.log('\nthe prompt an LLM would get (pipe the chain into any chat model):');
for (const message of messages) console.log(`--- ${message.getType()}\n${message.content}`);

await encoder.close();
