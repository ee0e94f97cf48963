/**
 * Routes from the config (snake_case, secrets already read) to the delivery's routes (each notifier's
 * own options), through each channel's `toOptions`.
 */
import type { RouteConfig } from '../config/engine-schema.js';
import type { Route } from './delivery.js';
import { DEFINITIONS, type Channel, type ChannelConfig } from './index.js';
import type { RouteContext } from './notifier.js';

/** @param dataDir where channels keep state of their own (Zalo's rotating token pair). */
export function deliveryRoutes(routes: readonly RouteConfig[], publicUrl: string, dataDir: string): Route[] {
  return routes.map((r, i) => routeOf(r, { name: r.name, publicUrl, dataDir, path: `engine.routes[${i}].options` }));
}

function routeOf<C extends Channel>(r: { name: string; lang: Route['lang']; channel: C; options: ChannelConfig[C] }, ctx: RouteContext): Route {
  const options = DEFINITIONS[r.channel].toOptions(r.options, ctx);
  // Channel and options belong together (both from C); the compiler does not follow that into the union.
  return { name: r.name, lang: r.lang, channel: r.channel, options } as Route;
}
