import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
  cacheControl: string;
}

export const UI_NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Intacct Connect</title></head>
<body><main><h1>Intacct Connect</h1>
<p>The Connect UI is not built. Run <code>npm run build</code> and restart the server.
The API is available under <a href="/openapi.json">/openapi.json</a>.</p></main></body></html>
`;

/**
 * The built UI in `dist/web`. Files under `assets/` carry a content hash in their name, so they are cached
 * for a year; index.html is revalidated so a new build is picked up.
 */
export class WebRoot {
  private readonly dir: string | undefined;

  constructor(dir: string | undefined) {
    this.dir = dir ? resolve(dir) : undefined;
  }

  /** Looked up on every request, so a build made while the server runs is picked up. */
  private get root(): string | undefined {
    return this.dir && existsSync(join(this.dir, 'index.html')) ? this.dir : undefined;
  }

  get built(): boolean {
    return this.root !== undefined;
  }

  /** The file for a URL path, or index.html for app routes; undefined only when the UI is not built. */
  lookup(urlPath: string): StaticFile | undefined {
    const root = this.root;
    if (!root) return undefined;
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath.split('?')[0] ?? '/');
    } catch {
      decoded = '/';
    }
    const rel = normalize(decoded).replace(/^([/\\])+/, '');
    const full = resolve(root, rel);
    if ((full === root || full.startsWith(root + sep)) && rel && isFile(full)) {
      const hashed = rel.startsWith(`assets${sep}`) || rel.startsWith('assets/');
      return {
        body: readFileSync(full),
        contentType: TYPES[extname(full).toLowerCase()] ?? 'application/octet-stream',
        cacheControl: hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      };
    }
    // A missing hashed asset is a real 404, not the app shell.
    if (rel.startsWith('assets/') || extname(rel) !== '') return undefined;
    return {
      body: readFileSync(join(root, 'index.html')),
      contentType: TYPES['.html']!,
      cacheControl: 'no-cache',
    };
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
