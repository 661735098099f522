import { describe, expect, it } from 'vitest';
import { normalizeTarget, TargetError } from '#domain/targets.ts';

describe('normalizeTarget refuses path tricks for the right reason', () => {
  it.each([
    ['..', 'root_domain'],
    ['../../etc/passwd', 'page'],
    ['%2e%2e', 'root_domain'],
    ['%2e%2e/%2e%2e/etc/passwd', 'page'],
    ['.', 'root_domain'],
    ['...', 'subdomain'],
  ] as const)('%j (%s) is not a valid host name, not an IP address', (target, scope) => {
    expect(() => normalizeTarget(target, scope)).toThrow(TargetError);
    expect(() => normalizeTarget(target, scope)).toThrow(/is not a valid host name/);
    expect(() => normalizeTarget(target, scope)).not.toThrow(/IP address/);
  });

  it.each(['10.0.0.1', '127.1', '0x7f.0.0.1', '2130706433'])('%s is an IP address', (target) => {
    expect(() => normalizeTarget(target, 'root_domain')).toThrow(/IP address/);
  });
});

describe('normalizeTarget names a scheme without "//" as a scheme, not a port', () => {
  it.each([
    ['javascript:alert(1)', 'javascript:'],
    ['tel:+15551234', 'tel:'],
    ['data:text/html,hi', 'data:'],
    ['tel:123', 'tel:'],
    ['sms:123', 'sms:'],
    ['SMS:5551234', 'SMS:'],
    ['fax:123', 'fax:'],
    ['callto:123', 'callto:'],
    ['urn:123', 'urn:'],
    ['mailto:1', 'mailto:'],
    ['geo:1', 'geo:'],
    ['news:1', 'news:'],
  ])('%s', (target, scheme) => {
    expect(() => normalizeTarget(target, 'page')).toThrow(
      `scheme ${scheme} is not supported; use a domain or an http(s) URL`,
    );
  });

  it('a host with a port is still refused as a port', () => {
    expect(() => normalizeTarget('acme.example:8080/blog', 'page')).toThrow('must not contain a port');
    expect(() => normalizeTarget('localhost:3000', 'page')).toThrow('must not contain a port');
    expect(() => normalizeTarget('acme.example:8080', 'root_domain')).toThrow('must not contain a port');
    expect(() => normalizeTarget('telco.example:443', 'page')).toThrow('must not contain a port');
  });
});
