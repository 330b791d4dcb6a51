/** ModelMetadata: the model's producer, graph and custom metadata. */

export interface ModelMetaJson {
  producerName?: string;
  graphName?: string;
  domain?: string;
  description?: string;
  graphDescription?: string;
  version?: number;
  customMetadataMap?: Record<string, string>;
  // snake_case spellings are accepted too
  [k: string]: unknown;
}

const pick = <T>(j: ModelMetaJson, camel: string, snake: string, dflt: T): T => (j[camel] ?? j[snake] ?? dflt) as T;

export class ModelMetadata {
  readonly #j: {
    producerName: string;
    graphName: string;
    domain: string;
    description: string;
    graphDescription: string;
    version: number;
    customMetadataMap: Readonly<Record<string, string>>;
  };

  /** Internal: returned by InferenceSession.getModelmeta(). */
  constructor(json: ModelMetaJson) {
    this.#j = {
      producerName: String(pick(json, "producerName", "producer_name", "")),
      graphName: String(pick(json, "graphName", "graph_name", "")),
      domain: String(pick(json, "domain", "domain", "")),
      description: String(pick(json, "description", "doc_string", "")),
      graphDescription: String(pick(json, "graphDescription", "graph_description", "")),
      version: Number(pick(json, "version", "model_version", 0)),
      // A plain object, as Python's dict of str → str reads: meta.customMetadataMap["key"].
      customMetadataMap: Object.freeze({
        ...pick<Record<string, string>>(json, "customMetadataMap", "custom_metadata_map", {}),
      }),
    };
  }
  /** Producer name (e.g. "skl2onnx"). */
  get producerName(): string {
    return this.#j.producerName;
  }
  get graphName(): string {
    return this.#j.graphName;
  }
  /** ONNX domain of the model. */
  get domain(): string {
    return this.#j.domain;
  }
  /** Model description (doc_string). */
  get description(): string {
    return this.#j.description;
  }
  get graphDescription(): string {
    return this.#j.graphDescription;
  }
  /** model_version. */
  get version(): number {
    return this.#j.version;
  }
  /** metadata_props as a key → value object. */
  get customMetadataMap(): Readonly<Record<string, string>> {
    return this.#j.customMetadataMap;
  }
}
