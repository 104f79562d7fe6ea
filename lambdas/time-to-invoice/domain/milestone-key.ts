/** The key of a milestone in billing: its PSA instance and id, unique across projects and stable across completions. */
export function milestoneKey(psaInstance: string, psaMilestoneId: string): string {
  return `milestone:${psaInstance}:${psaMilestoneId}`;
}
