// What the global setup hands to every test file through vitest's provide/inject.
declare module "vitest" {
  export interface ProvidedContext {
    /** The test server: the bundled FerretDB, or MONGODB_URI. */
    mongodbUri: string;
  }
}

export {};
