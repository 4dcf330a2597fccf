import robotsParserCjs from 'robots-parser';
import { RobotsDisallowedError, RobotsUnavailableError } from './errors.js';

// The package's typings declare an ES default export, but it is `module.exports = fn`,
// which Node hands to ESM as the default import itself.
const robotsParser = robotsParserCjs as unknown as typeof robotsParserCjs.default;

type ParsedRobots = ReturnType<typeof robotsParser>;

/** The robots.txt verdict for one site and one user agent (RFC 9309). */
export class RobotsRules {
  private constructor(
    private readonly parsed: ParsedRobots | undefined,
    private readonly userAgent: string,
    private readonly disallowAllReason: string | undefined,
  ) {}

  static parse(robotsUrl: string, text: string, userAgent: string): RobotsRules {
    return new RobotsRules(robotsParser(robotsUrl, text), userAgent, undefined);
  }

  /** RFC 9309 §2.3.1.3: a 4xx robots.txt means there are no rules. */
  static allowAll(userAgent: string): RobotsRules {
    return new RobotsRules(undefined, userAgent, undefined);
  }

  /** RFC 9309 §2.3.1.4: an unreachable robots.txt (5xx, network) means the whole site is off limits. */
  static disallowAll(userAgent: string, reason: string): RobotsRules {
    return new RobotsRules(undefined, userAgent, reason);
  }

  /** Crawl-delay for our user agent (or `*`), in milliseconds. */
  get crawlDelayMs(): number | undefined {
    const seconds = this.parsed?.getCrawlDelay(this.userAgent);
    return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
  }

  isAllowed(url: URL): boolean {
    if (this.disallowAllReason !== undefined) return false;
    return this.parsed?.isAllowed(url.href, this.userAgent) ?? true;
  }

  assertAllowed(url: URL): void {
    if (this.disallowAllReason !== undefined) throw new RobotsUnavailableError(url.href, this.disallowAllReason);
    if (this.isAllowed(url)) return;
    const line = this.parsed?.getMatchingLineNumber(url.href, this.userAgent) ?? -1;
    throw new RobotsDisallowedError(url.href, line > 0 ? `rule on line ${line}` : 'disallowed');
  }
}
