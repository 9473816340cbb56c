import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Worker } from '@temporalio/worker';
import { labSearchAttributes } from '../../lab/search-attributes.js';
import { endpoints } from '../../sandbox/config.js';
import { toolPaths } from '../../sandbox/tools.js';
import { unique } from '../helpers/sandbox.js';

const workflowsPath = fileURLToPath(new URL('../fixtures/echo-workflow.ts', import.meta.url));
const activities = { shout: async (text: string) => text.toUpperCase() };

test('a workflow runs on the sandbox dev server and sets a registered search attribute', async () => {
  const connection = await Connection.connect({ address: endpoints.temporal });
  const client = new Client({ connection });
  const registered = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
  for (const { name } of labSearchAttributes) assert.ok(registered.customAttributes?.[name], `${name} is registered`);

  const taskQueue = unique('sandbox-test');
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: endpoints.temporal }),
    taskQueue,
    workflowsPath,
    activities,
  });
  const result = await worker.runUntil(async () => {
    const handle = await client.workflow.start('echoWorkflow', { taskQueue, workflowId: taskQueue, args: ['hello'] });
    return handle.result();
  });
  assert.equal(result, 'HELLO');
  const description = await client.workflow.getHandle(taskQueue).describe();
  assert.equal(description.typedSearchAttributes.get(labSearchAttributes[0]!), 'echo');
  await connection.close();
});

test('@temporalio/testing runs the same dev server binary, downloading nothing', async () => {
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: toolPaths.temporal }, searchAttributes: labSearchAttributes },
  });
  try {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'local',
      workflowsPath,
      activities,
    });
    const result = await worker.runUntil(
      env.client.workflow.execute('echoWorkflow', { taskQueue: 'local', workflowId: unique('local'), args: ['again'] }),
    );
    assert.equal(result, 'AGAIN');
  } finally {
    await env.teardown();
  }
});
