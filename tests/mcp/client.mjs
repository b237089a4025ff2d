// End-to-end test of `cordon mcp` with the official MCP TypeScript SDK client.
// Usage: node client.mjs CORDON_BINARY   (run by tests/mcp/run.sh)
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, existsSync, readFileSync, rmSync, chmodSync } from "node:fs";
import { join } from "node:path";

const cordon = process.argv[2];
const base = process.env.CORDON_TEST_TMP || "/var/tmp";
const ws = mkdtempSync(join(base, "cordon-mcp-ws-"));
const outside = mkdtempSync(join(base, "cordon-mcp-out-"));
chmodSync(ws, 0o755);
chmodSync(outside, 0o755);
let passed = 0, failed = 0;
function check(name, ok, detail = "") {
  if (ok) { passed++; console.log(`ok   ${name}`); }
  else { failed++; console.log(`FAIL ${name} ${detail}`); }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const running = (marker) => {
  try { return execFileSync("ps", ["-eo", "args"]).toString().split("\n").some((l) => l.includes(marker)); }
  catch { return false; }
};

async function rawExchange(lines) {
  // A hostile client: bytes the SDK would never send.
  const child = spawn(cordon, ["mcp", "--no-config", "--workspace", ws], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  for (const l of lines) child.stdin.write(l + "\n");
  await sleep(500);
  child.stdin.end();
  await new Promise((r) => child.on("close", r));
  return out.split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

try {
  const transport = new StdioClientTransport({
    command: cordon, args: ["mcp", "--no-config", "--workspace", ws, "--timeout", "60"], stderr: "inherit",
  });
  const client = new Client({ name: "cordon-e2e", version: "1.0.0" });
  await client.connect(transport);
  check("initialize negotiated", client.getServerVersion()?.name === "cordon");

  const { tools } = await client.listTools();
  check("tools/list has run_command", tools.some((t) => t.name === "run_command"));

  let r = await client.callTool({ name: "run_command", arguments: { command: "echo hello > inside.txt && cat inside.txt" } });
  check("allowed write lands in the workspace",
    r.structuredContent?.classification === "ok" && readFileSync(join(ws, "inside.txt"), "utf8") === "hello\n" &&
    r.structuredContent.stdout === "hello\n", JSON.stringify(r.structuredContent?.classification));

  r = await client.callTool({ name: "run_command", arguments: { argv: ["sh", "-c", `echo x > ${outside}/escape.txt`] } });
  const sc = r.structuredContent ?? {};
  check("write outside the workspace is denied and reported",
    !existsSync(join(outside, "escape.txt")) && sc.exit_code !== 0 &&
    ["failed", "denied-by-sandbox"].includes(sc.classification) && Array.isArray(sc.denials),
    JSON.stringify({ exit: sc.exit_code, cls: sc.classification }));

  // Progress: the SDK sends _meta.progressToken when onprogress is given. The call takes
  // 4 s against a 2.5 s request timeout that each progress notification resets, so it
  // completes only if the notifications arrive while the command runs.
  const progress = [];
  r = await client.callTool({ name: "run_command", arguments: { command: "echo abc; sleep 4; echo de" } }, undefined,
    { onprogress: (p) => progress.push(p), timeout: 2500, resetTimeoutOnProgress: true });
  check("long call with progress completes", r.structuredContent?.stdout === "abc\nde\n",
    JSON.stringify(r.structuredContent?.stdout));
  check("progress notifications reach the client, counting output bytes",
    progress.length >= 2 && progress.some((p) => /\b4 bytes of output/.test(p.message ?? "")), JSON.stringify(progress));
  check("progress only grows", progress.every((p, i) => i === 0 || p.progress > progress[i - 1].progress),
    JSON.stringify(progress));

  r = await client.callTool({ name: "run_command", arguments: { command: "true", cwd: "/etc" } });
  check("cwd outside the workspace is refused", r.isError === true);

  // Cancellation: the command and what it started in the background must all go.
  const marker = `31${process.pid % 1000}7`;
  const controller = new AbortController();
  const call = client.callTool({ name: "run_command", arguments: { command: `sleep ${marker} & sleep ${marker}1; wait` } },
    undefined, { signal: controller.signal }).then(() => "finished", (e) => "aborted");
  let seen = false;
  for (let i = 0; i < 50 && !seen; i++) { await sleep(100); seen = running(`sleep ${marker}`); }
  check("cancellable command started", seen);
  controller.abort("test cancels");
  check("cancelled call rejects on the client", (await call) === "aborted");
  let gone = false;
  for (let i = 0; i < 50 && !gone; i++) { await sleep(100); gone = !running(`sleep ${marker}`); }
  check("cancellation killed the whole process tree", gone);

  r = await client.callTool({ name: "run_command", arguments: { command: "echo still-serving" } });
  check("server keeps serving after a cancellation", r.structuredContent?.stdout === "still-serving\n");
  await client.close();

  // cordon mcp --review: the calls are staged in one change set, review_changes reads it,
  // and only the user's `cordon review discard` removes it.
  const state = mkdtempSync(join(base, "cordon-mcp-state-"));
  const env = { ...process.env, XDG_STATE_HOME: state };
  const reviewing = new Client({ name: "cordon-e2e-review", version: "1.0.0" });
  await reviewing.connect(new StdioClientTransport({
    command: cordon, args: ["mcp", "--review", "--no-config", "--workspace", ws, "--timeout", "60"], env, stderr: "inherit",
  }));
  const names = (await reviewing.listTools()).tools.map((t) => t.name).sort();
  check("a review server lists run_command and review_changes only", JSON.stringify(names) === '["review_changes","run_command"]',
    JSON.stringify(names));
  r = await reviewing.callTool({ name: "run_command", arguments: { command: "echo staged > staged.txt" } });
  const id = r.structuredContent?.review?.id;
  r = await reviewing.callTool({ name: "run_command", arguments: { command: "cat staged.txt" } });
  check("review calls share one change set and see their writes",
    typeof id === "string" && r.structuredContent?.review?.id === id && r.structuredContent?.stdout === "staged\n",
    JSON.stringify(r.structuredContent));
  check("a review call leaves the workspace unchanged", !existsSync(join(ws, "staged.txt")));
  r = await reviewing.callTool({ name: "review_changes", arguments: { diff: true, paths: ["staged.txt"] } });
  check("review_changes lists and diffs the staged file",
    r.isError === false && r.structuredContent?.changes?.some((c) => c.path === "staged.txt" && c.change === "added") &&
    r.structuredContent?.diff?.includes("+staged"), JSON.stringify(r));
  r = await reviewing.callTool({ name: "review_changes", arguments: { id: "../x" } });
  check("review_changes refuses a hostile id", r.isError === true);
  await reviewing.close();
  if (typeof id === "string") {
    execFileSync(cordon, ["review", "discard", id], { env, cwd: ws });
    check("the user discards the change set", !existsSync(join(state, "cordon", "reviews", id)));
  }
  rmSync(state, { recursive: true, force: true });

  const replies = await rawExchange(["{not json", "[]", '{"jsonrpc":"2.0","id":9,"method":"no/such"}',
    '{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"nope"}}', '{"jsonrpc":"2.0","id":11,"method":"ping"}']);
  const codes = replies.map((m) => m.error?.code ?? "ok");
  check("malformed messages get JSON-RPC errors", JSON.stringify(codes) === JSON.stringify([-32700, -32600, -32601, -32602, "ok"]),
    JSON.stringify(codes));
} catch (e) {
  check("no exception", false, String(e?.stack || e));
} finally {
  rmSync(ws, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
}
console.log(`mcp e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
