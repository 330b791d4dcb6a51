/**
 * Errors, as ONNX Runtime raises them: one class per status code (the C ABI uses the same
 * numbers as OrtErrorCode), all extending OrtError.
 */

export const StatusCode = {
  OK: 0,
  FAIL: 1,
  INVALID_ARGUMENT: 2,
  NO_SUCHFILE: 3,
  NO_MODEL: 4,
  ENGINE_ERROR: 5,
  RUNTIME_EXCEPTION: 6,
  INVALID_PROTOBUF: 7,
  MODEL_LOADED: 8,
  NOT_IMPLEMENTED: 9,
  INVALID_GRAPH: 10,
  EP_FAIL: 11,
} as const;

const CODE_NAMES = Object.fromEntries(Object.entries(StatusCode).map(([k, v]) => [v, k])) as Record<
  number,
  string
>;

export class OrtError extends Error {
  /** Status code (same numbers as ONNX Runtime's OrtErrorCode). */
  readonly code: number;
  constructor(message: string, code: number = StatusCode.FAIL) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
  /** e.g. "INVALID_ARGUMENT". */
  get codeName(): string {
    return CODE_NAMES[this.code] ?? `STATUS_${this.code}`;
  }
}

export class Fail extends OrtError {
  constructor(message: string) {
    super(message, StatusCode.FAIL);
  }
}
export class InvalidArgument extends OrtError {
  constructor(message: string) {
    super(message, StatusCode.INVALID_ARGUMENT);
  }
}
export class NoSuchFile extends OrtError {
  constructor(message: string) {
    super(message, StatusCode.NO_SUCHFILE);
  }
}
export class NoModel extends OrtError {
  constructor(message: string) {
    super(message, StatusCode.NO_MODEL);
  }
}
export class EngineError extends OrtError {
  constructor(message: string) {
    super(message, StatusCode.ENGINE_ERROR);
  }
}
export class RuntimeException extends OrtError {
  constructor(message: string) {
    super(message, StatusCode.RUNTIME_EXCEPTION);
  }
}
export class InvalidProtobuf extends OrtError {
  constructor(message: string) {
    super(message, StatusCode.INVALID_PROTOBUF);
  }
}
export class ModelLoaded extends OrtError {
  constructor(message: string) {
    super(message, StatusCode.MODEL_LOADED);
  }
}
export class NotImplemented extends OrtError {
  constructor(message: string) {
    super(message, StatusCode.NOT_IMPLEMENTED);
  }
}
export class InvalidGraph extends OrtError {
  constructor(message: string) {
    super(message, StatusCode.INVALID_GRAPH);
  }
}
export class EPFail extends OrtError {
  constructor(message: string) {
    super(message, StatusCode.EP_FAIL);
  }
}

const BY_CODE: Record<number, new (m: string) => OrtError> = {
  [StatusCode.FAIL]: Fail,
  [StatusCode.INVALID_ARGUMENT]: InvalidArgument,
  [StatusCode.NO_SUCHFILE]: NoSuchFile,
  [StatusCode.NO_MODEL]: NoModel,
  [StatusCode.ENGINE_ERROR]: EngineError,
  [StatusCode.RUNTIME_EXCEPTION]: RuntimeException,
  [StatusCode.INVALID_PROTOBUF]: InvalidProtobuf,
  [StatusCode.MODEL_LOADED]: ModelLoaded,
  [StatusCode.NOT_IMPLEMENTED]: NotImplemented,
  [StatusCode.INVALID_GRAPH]: InvalidGraph,
  [StatusCode.EP_FAIL]: EPFail,
};

/** The OrtError subclass for a status code (unknown codes become a plain OrtError). */
export function errorForCode(code: number, message: string): OrtError {
  const C = BY_CODE[code];
  return C ? new C(message) : new OrtError(message, code);
}
