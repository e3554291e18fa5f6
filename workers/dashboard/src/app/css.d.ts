/** Pages import their stylesheet from TSX; esbuild bundles every imported CSS file into dist/app.css. */
declare module '*.css';
