/**
 * The usage page's browser script, written and type-checked with the DOM in `usage-page-script.js`
 * (see there and `tsconfig.browser.json`); this declaration keeps the DOM types out of the Node program.
 * Never called on the server: `usage-page.ts` inlines its source text into the page.
 */
export declare function usagePageScript(): void;
