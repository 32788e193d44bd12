/**
 * A fast non-cryptographic 32-bit string hash: FNV-1a over UTF-16 code units, then murmur3's
 * fmix32 finaliser so that near-identical keys (`t#1`, `t#2`, `10.0.0.1`, `10.0.0.2`) spread
 * over the whole ring (plain FNV-1a leaves their high bits correlated). Not for security: a
 * client who picks its own key can choose its target, as with any hash balancer.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
