/** The provider for a validated `discovery` block (run validateDiscovery first: this throws on what it finds). */
import { consulProvider } from './consul.js';
import { dnsProvider } from './dns.js';
import { etcdProvider } from './etcd.js';
import type { DiscoveryDeps, DiscoveryProvider } from './provider.js';
import type { DiscoveryConfig } from './schema.js';
import { staticProvider } from './static.js';
import { validateDiscovery } from './validate.js';

export function createDiscovery(config: DiscoveryConfig, deps: DiscoveryDeps): DiscoveryProvider {
  const problems = validateDiscovery(config);
  if (problems.length > 0) throw new Error(`invalid discovery: ${problems.map((p) => `${p.path.join('.') || '(root)'}: ${p.message}`).join('; ')}`);
  switch (config.type) {
    case 'dns':
      return dnsProvider(config, deps);
    case 'consul':
      return consulProvider(config, deps);
    case 'etcd':
      return etcdProvider(config, deps);
    case 'static':
      return staticProvider(config.targets);
  }
}
