// esbuild bundles a page's imported stylesheet into dist/app.css; TypeScript only needs to
// know the import exists. (The app core may declare the same; declarations merge.)
declare module '*.css';
