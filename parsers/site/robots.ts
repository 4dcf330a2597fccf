import * as robotsModule from 'robots-parser';

interface RobotsParserRobot {
  isAllowed(url: string, userAgent?: string): boolean | undefined;
  getCrawlDelay(userAgent?: string): number | undefined;
  getSitemaps(): string[];
}

// robots-parser is CommonJS typed as an ES default export; under NodeNext that default is the namespace's
// `default`, which its typings do not describe as callable.
const robotsParser = robotsModule.default as unknown as (url: string, text: string) => RobotsParserRobot;

export interface RobotsRules {
  /** False for disallowed paths and for URLs on another origin than the robots.txt. */
  isAllowed(url: string, userAgent: string): boolean;
  /** Seconds, when the file sets a Crawl-delay for this agent. */
  crawlDelay(userAgent: string): number | undefined;
  sitemaps(): string[];
}

/** Wraps robots-parser: wildcards, longest match wins, Allow beats Disallow at equal length. */
export function parseRobots(robotsUrl: string, text: string): RobotsRules {
  const robots = robotsParser(robotsUrl, text);
  return {
    isAllowed: (url, userAgent) => robots.isAllowed(url, userAgent) === true,
    crawlDelay: (userAgent) => robots.getCrawlDelay(userAgent),
    sitemaps: () => robots.getSitemaps(),
  };
}
