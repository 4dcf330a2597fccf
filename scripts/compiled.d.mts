// Types for compiled.mjs, which stays JavaScript: bin/wdtk-archive.js loads it before any TypeScript loader.
export declare const RUNTIME_FOLDERS: string[];
export declare const BUILD_STAMP: string;
export declare function freshCompiledEntry(root: string): string | null;
