/**
 * Who may push: the tokens of server.yaml plus every enrolled agent that is not revoked. Enrolled tokens
 * take effect at once, with no restart: this server's own enrolments and revocations update the map as
 * they happen, and a change committed by another process (the CLI on the same store) is seen at the next
 * request, since SQLite's data_version moves (one cheap pragma per request).
 */
import type { TokenConfig } from '../config/schema.js';
import { sha256Hex, TokenIndex, type Identity } from '../tokens.js';
import type { AgentRecord, FleetStore } from './types.js';

export interface Authenticator {
  /** The identity for an `Authorization` header value, or undefined. */
  authenticate(header: string | undefined): Identity | undefined;
}

export interface ExpectedAgent {
  province: string;
  center: string;
  agent: string;
}

export class AgentTokens implements Authenticator {
  private readonly fromConfig: TokenIndex;
  private byHash = new Map<string, Identity>();
  private live: ExpectedAgent[] = [];
  private seenChange = -1;

  constructor(
    tokens: readonly TokenConfig[],
    private readonly fleet: FleetStore | undefined,
  ) {
    this.fromConfig = new TokenIndex(tokens);
    this.refresh();
  }

  authenticate(header: string | undefined): Identity | undefined {
    return this.fromConfig.authenticate(header) ?? this.enrolledIdentity(header);
  }

  /** The enrolled agent behind a header (its `tokenId` is the agent's id, `center/name`), or undefined. */
  enrolledIdentity(header: string | undefined): Identity | undefined {
    if (!this.fleet || !header) return undefined;
    this.refreshIfChanged();
    const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
    return m ? this.byHash.get(sha256Hex(m[1]!)) : undefined;
  }

  /** Enrolled agents that are not revoked (expected by the engine even before they are heard). */
  enrolled(): readonly ExpectedAgent[] {
    this.refreshIfChanged();
    return this.live;
  }

  /** This process enrolled (or re-enrolled) an agent: its new token works now, an old one no longer. */
  added(a: AgentRecord): void {
    for (const [hash, who] of this.byHash) if (who.tokenId === a.id) this.byHash.delete(hash);
    this.byHash.set(a.tokenHash, identityOf(a));
    this.live = [...this.live.filter((x) => `${x.center}/${x.agent}` !== a.id), { province: a.province, center: a.center, agent: a.name }];
  }

  /** This process revoked an agent: its next request is refused. */
  revoked(id: string): void {
    for (const [hash, who] of this.byHash) if (who.tokenId === id) this.byHash.delete(hash);
    this.live = this.live.filter((x) => `${x.center}/${x.agent}` !== id);
  }

  get size(): number {
    return this.fromConfig.size + this.byHash.size;
  }

  private refreshIfChanged(): void {
    if (this.fleet && this.fleet.changeCounter() !== this.seenChange) this.refresh();
  }

  private refresh(): void {
    if (!this.fleet) return;
    this.seenChange = this.fleet.changeCounter();
    const agents = this.fleet.agents().filter((a) => a.revokedAtMs === undefined);
    this.byHash = new Map(agents.map((a) => [a.tokenHash, identityOf(a)]));
    this.live = agents.map((a) => ({ province: a.province, center: a.center, agent: a.name }));
  }
}

const identityOf = (a: AgentRecord): Identity => ({ tokenId: a.id, province: a.province, center: a.center, agent: a.name });
