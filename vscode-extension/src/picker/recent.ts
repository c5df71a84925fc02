// Remembers the last (context, namespace, target) per launch configuration name.

export interface RecentChoice {
  context: string;
  namespace: string;
  target: string | null;
}

export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

const KEY = 'mirrord.recentTargets';
// Choices made outside a launch (the "Select Target" command) are kept under this name.
export const COMMAND_PALETTE = '';

export class RecentStore {
  constructor(private readonly state: StateStore) {}

  private all(): Record<string, RecentChoice> {
    return this.state.get<Record<string, RecentChoice>>(KEY) ?? {};
  }

  /** The choice for this launch config in this kube context, else the last one made from the palette. */
  get(launchName: string, context: string): RecentChoice | undefined {
    const all = this.all();
    for (const name of [launchName, COMMAND_PALETTE]) {
      const choice = all[name];
      if (choice && choice.context === context) {
        return choice;
      }
    }
    return undefined;
  }

  async set(launchName: string, choice: RecentChoice): Promise<void> {
    await this.state.update(KEY, { ...this.all(), [launchName]: choice });
  }
}
