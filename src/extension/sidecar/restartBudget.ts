/**
 * The crash budget, as vscode-languageclient's DefaultErrorHandler keeps it: after each crash the
 * sidecar restarts, unless it has already been restarted `maxRestarts` times within `windowMs`; then
 * it stays stopped and the user is told why. A restart the user asks for starts a fresh budget.
 */
export class RestartBudget {
  private crashes: number[] = [];

  constructor(
    private readonly maxRestarts = 4,
    private readonly windowMs = 3 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash; true if the sidecar may be restarted for it. */
  allowRestart(): boolean {
    const t = this.now();
    this.crashes = this.crashes.filter((c) => t - c < this.windowMs);
    this.crashes.push(t);
    return this.crashes.length <= this.maxRestarts;
  }

  reset(): void {
    this.crashes = [];
  }

  get recentCrashes(): number {
    const t = this.now();
    return this.crashes.filter((c) => t - c < this.windowMs).length;
  }
}
