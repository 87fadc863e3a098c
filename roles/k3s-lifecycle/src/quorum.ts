/**
 * Resetting some servers of an embedded-etcd cluster: the cluster keeps working only while a
 * majority of its members remains. Pure arithmetic over the inventory's server group and the
 * hosts selected for the reset.
 *
 *   quorumRefusal(['s1', 's2', 's3'], ['s2'])         // undefined: 2 of 3 remain, quorum is 2
 *   quorumRefusal(['s1', 's2', 's3'], ['s2', 's3'])   // 'resetting s2, s3 leaves 1 of the 3 etcd members ...'
 *   quorumRefusal(['s1', 's2', 's3'], ['s1', 's2', 's3'])   // undefined: the whole cluster goes
 */
export function quorumOf(members: number): number {
  return Math.floor(members / 2) + 1;
}

/** Why resetting `selected` of `servers` loses etcd quorum, or undefined when it does not (or when every server goes). */
export function quorumRefusal(servers: readonly string[], selected: readonly string[]): string | undefined {
  const going = servers.filter((s) => selected.includes(s));
  const left = servers.length - going.length;
  if (servers.length <= 1 || going.length === 0 || left === 0) return undefined;
  const quorum = quorumOf(servers.length);
  if (left >= quorum) return undefined;
  return `resetting ${going.join(', ')} leaves ${left} of the ${servers.length} etcd members (${servers.join(', ')}); the cluster needs ${quorum} to keep quorum and would stop accepting writes`;
}

/** The whole cluster goes: every server of the group is selected. */
export function wholeCluster(servers: readonly string[], selected: readonly string[]): boolean {
  return servers.length > 0 && servers.every((s) => selected.includes(s));
}
