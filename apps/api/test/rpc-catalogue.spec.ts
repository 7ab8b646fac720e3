import { readFile } from 'node:fs/promises';
import { RPC_ACTIONS } from '../src/rpc/actions/index.js';
import { rpcCatalogue, rpcCatalogueJson } from '../src/rpc/catalogue.js';

describe('RPC action catalogue', () => {
  it('should match the committed openapi/rpc-actions.json (run `npm run rpc:catalogue` after changing an action)', async () => {
    const committed = await readFile(new URL('../../../openapi/rpc-actions.json', import.meta.url), 'utf8');
    expect(rpcCatalogueJson()).toBe(committed);
  });

  it('should list every action of the table with its RAM action, parameters, response and errors', () => {
    const doc = rpcCatalogue();
    expect(doc.Actions.map((a) => a.Action)).toEqual(RPC_ACTIONS.map((a) => a.action));
    for (const a of doc.Actions) {
      expect(a.RamAction).toMatch(/^(mq|ram):/);
      expect(a.Response).toHaveProperty('RequestId', 'String');
      for (const e of a.Errors) expect(e.HttpStatus).toBeGreaterThanOrEqual(400);
    }
    const listGroupId = doc.Actions.find((a) => a.Action === 'ListGroupId')!;
    expect(listGroupId.Response).toEqual({
      RequestId: 'String',
      Data: [{ GroupId: 'String', InstanceId: 'String', IndependentNaming: 'Boolean', CreateTime: 'Long', UpdateTime: 'Long' }],
    });
    expect(listGroupId.Parameters.map((p) => [p.Name, p.Type, p.Required])).toEqual([['InstanceId', 'String', true]]);
  });
});
