import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

/**
 * Nothing the app serves may load or run anything from elsewhere, and an attachment (an authority's
 * HTML or SVG, say) must never be rendered as a page of this origin.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  c.res.headers.set('X-Content-Type-Options', 'nosniff');
  c.res.headers.set('Referrer-Policy', 'no-referrer');
  c.res.headers.set('X-Frame-Options', 'DENY');
  c.res.headers.set('Cross-Origin-Resource-Policy', 'same-origin');
};

/** An error in the shape its caller reads: `{"error": ...}` under /api/, plain text elsewhere. */
function refuse(c: Context, status: 401 | 404 | 405, message: string): Response {
  return c.req.path.startsWith('/api/') ? c.json({ error: message }, status) : c.text(message, status);
}

/** Everything here is read-only: any other method is refused before routing, whatever the path. */
export const readOnly: MiddlewareHandler = async (c, next) => {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
  c.header('Allow', 'GET, HEAD');
  return refuse(c, 405, `Method ${c.req.method} is not allowed: the archive is read-only (GET, HEAD)`);
};

/**
 * A dot-dot segment in any form (raw, percent-encoded, doubly encoded, backslashed) answers 404 before
 * routing: no route takes a path, but a parameter that looks like one is never worth interpreting.
 */
export const rejectTraversal: MiddlewareHandler = async (c, next) => {
  const rawPath = c.req.raw.url.replace(/^[a-z]+:\/\/[^/]*/i, '').split('?')[0] ?? '';
  if (looksLikeTraversal(rawPath)) return refuse(c, 404, 'Not found');
  await next();
};

function looksLikeTraversal(path: string): boolean {
  let decoded = path;
  for (let round = 0; round < 3; round += 1) {
    if (/(^|[/\\])\.\.([/\\]|$)/.test(decoded)) return true;
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return true;
    }
    if (next === decoded) return false;
    decoded = next;
  }
  return true;
}

const TOKEN_COOKIE = 'wdtk_token';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Compares hashes, so neither the token's content nor its length leaks through timing. */
function tokenMatches(given: string | undefined, expectedDigest: Buffer): boolean {
  return given !== undefined && timingSafeEqual(digest(given), expectedDigest);
}

/**
 * A read token guarding every route. A browser presents it once as ?token= and then carries it in an
 * HttpOnly SameSite=Strict cookie; scripts send `Authorization: Bearer`.
 */
export function requireToken(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('Authorization') ?? '')?.[1]?.trim();
    if (tokenMatches(bearer, expected) || tokenMatches(getCookie(c, TOKEN_COOKIE), expected)) return next();
    const fromQuery = c.req.query('token');
    if (tokenMatches(fromQuery, expected)) {
      await next();
      setCookie(c, TOKEN_COOKIE, fromQuery as string, {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        secure: new URL(c.req.url).protocol === 'https:',
      });
      return;
    }
    c.header('WWW-Authenticate', 'Bearer realm="wdtk-archive"');
    return refuse(c, 401, 'A read token is required: send Authorization: Bearer <token>, or open the link with ?token=<token>.');
  };
}
