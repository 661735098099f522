/**
 * Campaign writes a person triggers (`campaign add`, `update`, `enable`, `disable`) are conditional in
 * both stores: an add never overwrites a campaign someone else added meanwhile, and an update never
 * overwrites an edit made after it read the campaign. Held for the file store and for DynamoDB (moto).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDynamoCampaignStore } from '#adapters/aws/campaign-store.ts';
import { createFileCampaignStore } from '#adapters/local/file-stores.ts';
import { type Campaign, type CampaignInput, parseCampaign } from '#domain/campaign.ts';
import type { EditableCampaignStore } from '#shared/ports.ts';
import { tempDir } from '#test/support/cli.ts';
import { createTestStack, describeAws, type TestStack, useMoto } from '#test/support/moto.ts';

const moto = useMoto();

function aCampaign(overrides: Partial<CampaignInput> = {}): Campaign {
  return parseCampaign({
    id: `c-${randomUUID().slice(0, 8)}`,
    site: [{ target: 'acme.example' }],
    competitors: [{ target: 'rival-a.example' }],
    ...overrides,
  });
}

function editContract(
  makeStore: () => EditableCampaignStore,
  editBehindOurBack: (c: Campaign) => Promise<void>,
) {
  it('create stores a new campaign once; concurrent creates of one id: exactly one wins', async () => {
    const store = makeStore();
    const id = aCampaign().id;
    const attempts = Array.from({ length: 8 }, (_, index) => aCampaign({ id, name: `writer ${index}` }));
    const results = await Promise.all(attempts.map((campaign) => store.create(campaign)));
    expect(results.filter((result) => result === 'created')).toHaveLength(1);
    expect(results.filter((result) => result === 'exists')).toHaveLength(7);
    const winner = attempts[results.indexOf('created')];
    expect(await store.get(id)).toEqual(winner);
    expect(await store.create(aCampaign({ id, name: 'late' }))).toBe('exists');
    expect(await store.get(id)).toEqual(winner);
  });

  it('replace writes when the stored campaign is still the one read', async () => {
    const store = makeStore();
    const campaign = aCampaign();
    await store.create(campaign);
    const read = await store.get(campaign.id);
    expect(await store.replace({ ...campaign, maxRowsPerRun: 900 }, read)).toBe('replaced');
    expect(await store.get(campaign.id)).toMatchObject({ maxRowsPerRun: 900 });
  });

  it('replace refuses when the campaign changed (or went away) since it was read', async () => {
    const store = makeStore();
    const campaign = aCampaign();
    await store.create(campaign);
    const read = await store.get(campaign.id);
    await editBehindOurBack({ ...campaign, enabled: false });
    expect(await store.replace({ ...campaign, maxRowsPerRun: 900 }, read)).toBe('changed');
    expect(await store.get(campaign.id)).toMatchObject({ enabled: false, maxRowsPerRun: 5000 });

    await store.remove(campaign.id);
    expect(await store.replace(campaign, read)).toBe('changed');
    expect(await store.get(campaign.id)).toBeUndefined();
  });
}

describe('file campaign store: conditional writes', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('user-edits');
  });
  afterEach(() => dir.remove());
  editContract(
    () => createFileCampaignStore(dir.path),
    // A person editing the file by hand, as the store's docs invite.
    async (campaign) =>
      writeFileSync(join(dir.path, 'campaigns', `${campaign.id}.json`), JSON.stringify(campaign, null, 4)),
  );

  it('create leaves no temporary files behind, whether it wins or not', async () => {
    const store = createFileCampaignStore(dir.path);
    const campaign = aCampaign();
    await Promise.all([store.create(campaign), store.create(campaign)]);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(dir.path, 'campaigns'))).toEqual([`${campaign.id}.json`]);
  });
});

describeAws('DynamoDB campaign store: conditional writes (moto)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await createTestStack(moto);
  });
  afterAll(() => {
    vi.unstubAllEnvs();
  });
  const makeStore = () =>
    createDynamoCampaignStore({ doc: stack.clients.doc, tableName: stack.names.tableName });
  // Someone editing the item in the console, or another `campaign update`, between our read and write.
  editContract(makeStore, (campaign) => makeStore().put(campaign));
});
