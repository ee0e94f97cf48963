/** What the fleet's parts (enrolment, config, inventory, the fleet view, the CLI) are given. */
import type { Logger } from '../../common/log.js';
import type { ServerConfig } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { AgentTokens } from './registry.js';
import type { AgentRecord } from './types.js';

/** An agent's config as the server renders it from its profile. */
export interface RenderedConfig {
  profile: string;
  /** Content hash of `text` (12 hex digits): the ETag, and what the fleet view compares. */
  revision: string;
  /** The agent config YAML, without the `central:` section the agent keeps itself. */
  text: string;
}

export type RenderOutcome =
  | { ok: true; config: RenderedConfig }
  /** The profile yields an invalid config for this agent: file:line:column: field: message, one per problem. */
  | { ok: false; profile: string; problems: string[] }
  /** No profile applies (none named by the code, the center or `fleet.default_profile`). */
  | { ok: false; profile: undefined; problems: string[] };

export interface ConfigSource {
  /** The config the agent should run now (cached until a profile, the center or the agent changes). */
  forAgent(agent: AgentRecord): RenderOutcome;
  /** The revision the agent should run now; undefined when it has none. */
  currentRevision(agent: AgentRecord): string | undefined;
}

export interface FleetDeps {
  cfg: ServerConfig;
  store: Store;
  tokens: AgentTokens;
  configs: ConfigSource;
  /** When the server last received a push from this agent (since it started), if it did. */
  lastPushMs: (center: string, agent: string) => number | undefined;
  log: Logger;
  now: () => number;
}

/** What a CLI subcommand gets: the server config (for the store's place), the open store, and output. */
export interface FleetCliContext {
  cfg: ServerConfig;
  store: Store;
  out: (text: string) => void;
  err: (text: string) => void;
  now: () => number;
}
