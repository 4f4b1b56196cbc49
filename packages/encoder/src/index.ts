export { M3Encoder } from './m3-encoder.js';
export type {
  EncodeProgress,
  M3EncodeOptions,
  M3EncodedText,
  M3EncoderLoadOptions,
  M3TokenizedText,
} from './m3-encoder.js';
export type { DownloadProgress, HubDownloadOptions } from './model/hub-download.js';
export { downloadFromHub, OFFICIAL_LAYOUT_FILES } from './model/hub-download.js';
export type { RuntimeOptions } from './model/load-model.js';
export { ModelFileError } from './errors/model-file-error.js';
export { ModelDownloadError } from './errors/model-download-error.js';
export { InferenceError } from './errors/inference-error.js';
export { TOKENIZERS_VERSION } from './tokenizer/m3-tokenizer.js';
export type { LinearWeights } from './onnx/heads-graph.js';
export { buildHeadsModel } from './onnx/heads-graph.js';
export type { FloatTensor } from './pytorch/state-dict.js';
export { readTorchStateDict } from './pytorch/state-dict.js';
