// A worker written with camunda-external-task-client-js (npm), unchanged, for tests/clients/test_js_client.py.
// Usage: node js_worker.mjs '{"baseUrl", "username", "password", "topic", "mode", "expected"}'
// It handles `expected` tasks of `topic` the way `mode` says, prints one JSON line per task it
// saw ({"id", "variables", "typed", "businessKey", "retries", "activityId"}), then stops.
import { BasicAuthInterceptor, Client, Variables } from "camunda-external-task-client-js";

const options = JSON.parse(process.argv[2]);
let handled = 0;

setTimeout(() => {
  console.error(`timed out after handling ${handled} of ${options.expected} tasks`);
  process.exit(2);
}, options.timeoutMs ?? 30000);

const client = new Client({
  baseUrl: options.baseUrl,
  workerId: options.workerId ?? "js-worker",
  interceptors: new BasicAuthInterceptor({ username: options.username, password: options.password }),
  asyncResponseTimeout: 5000, // long polling
  interval: 50,
  lockDuration: 10000,
  maxTasks: 1,
});

for (const event of ["poll:error", "complete:error", "handleFailure:error", "handleBpmnError:error",
                     "extendLock:error", "unlock:error", "handler:error"]) {
  client.on(event, (...args) => {
    const error = args[args.length - 1];
    console.error(`${event}: ${error?.message ?? error}`);
    process.exit(3);
  });
}

async function handle({ task, taskService }) {
  console.log(JSON.stringify({
    id: task.id, activityId: task.activityId, businessKey: task.businessKey, retries: task.retries,
    variables: task.variables.getAll(), typed: task.variables.getAllTyped(),
  }));
  if (options.mode === "complete") {
    await taskService.extendLock(task, 20000);
    const variables = new Variables()
      .set("documents_ok", true)
      .set("pages", 4)
      .set("ratio", 0.5)
      .set("note", "vu par le worker JS")
      .set("details", { stamps: ["consulat"], pages: 4 })
      .set("checked_at", new Date("2026-03-02T09:00:00.000Z"))
      .set("nothing", null);
    const local = new Variables().set("local_note", "only for this task");
    await taskService.complete(task, variables, local);
  } else if (options.mode === "failure") {
    await taskService.handleFailure(task, {
      errorMessage: "registry down", errorDetails: "Error: connect ECONNREFUSED",
      retries: task.retries == null ? 2 : task.retries - 1, retryTimeout: 0,
    });
  } else if (options.mode === "bpmnError") {
    const variables = new Variables().set("missing", ["passport"]);
    await taskService.handleBpmnError(task, "DOCS_MISSING", "passport missing", variables);
  } else if (options.mode === "unlock") {
    client.stop(); // before the next poll could take the task again
    await taskService.unlock(task);
  }
  handled += 1;
  if (handled >= options.expected) {
    client.stop();
    setTimeout(() => process.exit(0), 10);
  }
}

client.subscribe(options.topic ?? "check_documents", handle);
