/** NodeArg: a model input or output (name, type string, shape with symbolic dims). */

export type Dim = number | string | null;

export interface NodeArgJson {
  name: string;
  type: string;
  shape: Dim[] | null;
  elemType?: number;
}

export class NodeArg {
  readonly #name: string;
  readonly #type: string;
  readonly #shape: readonly Dim[] | null;
  readonly #elemType: number;

  /** Internal: NodeArgs come from InferenceSession.getInputs()/getOutputs(). */
  constructor(json: NodeArgJson) {
    this.#name = json.name;
    this.#type = json.type;
    this.#shape = json.shape === null || json.shape === undefined ? null : Object.freeze([...json.shape]);
    this.#elemType = json.elemType ?? 0;
  }
  /** Name of the input or output. */
  get name(): string {
    return this.#name;
  }
  /** Type string, e.g. "tensor(float)" or "seq(map(int64,tensor(float)))". */
  get type(): string {
    return this.#type;
  }
  /**
   * Shape: numbers for fixed dims, strings for named (symbolic) dims, null for unknown
   * dims; null when the rank itself is unknown or the value is not a tensor.
   */
  get shape(): readonly Dim[] | null {
    return this.#shape;
  }
  /** @internal TensorProto element type (0 when not a tensor). */
  get _elemType(): number {
    return this.#elemType;
  }
  toString(): string {
    return `NodeArg(name='${this.#name}', type='${this.#type}', shape=${JSON.stringify(this.#shape)})`;
  }
}
