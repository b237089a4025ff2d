// End-to-end test of `cordon mcp --ask` with the official MCP TypeScript SDK client and
// an elicitation handler, plus a raw client that answers what it was not asked.
// Usage: node ask.mjs CORDON_BINARY   (run by tests/mcp/run.sh)
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, existsSync, readFileSync, readdirSync, rmSync, chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer } from "node:net";
import { execFileSync } from "node:child_process";

const cordon = process.argv[2];
const base = process.env.CORDON_TEST_TMP || "/var/tmp";
const made = [];
const tempDir = (name) => { const d = mkdtempSync(join(base, name)); chmodSync(d, 0o755); made.push(d); return d; };
const ws = tempDir("cordon-ask-ws-");
const outside = tempDir("cordon-ask-out-");  // below /var/tmp, outside the roots: askable
const home = tempDir("cordon-ask-home-");    // the server's HOME: its ~/.bashrc is never asked
const confDir = tempDir("cordon-ask-conf-");
const config = join(confDir, "config.toml");
writeFileSync(config, "# cordon test config\n");
mkdirSync(join(outside, "repo", ".git", "hooks"), { recursive: true });
const env = { ...process.env, HOME: home };
let passed = 0, failed = 0;
function check(name, ok, detail = "") {
  if (ok) { passed++; console.log(`ok   ${name}`); }
  else { failed++; console.log(`FAIL ${name} ${detail}`); }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const serverArgs = (extra = []) => ["mcp", "--ask", "--ask-timeout", "4", "--workspace", ws, "--timeout", "60", ...extra];

// The handler's answers, by the path the question names; every request is recorded.
const asked = [];
let answer = () => ({ action: "decline" });
const sdkClient = async (elicit, extra = ["--no-config"], clientEnv = env) => {
  const client = new Client({ name: "cordon-ask-e2e", version: "1.0.0" },
    elicit ? { capabilities: { elicitation: {} } } : {});
  if (elicit)
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params);
      return answer(req.params);
    });
  await client.connect(new StdioClientTransport({ command: cordon, args: serverArgs(extra), env: clientEnv, stderr: "inherit" }));
  return client;
};
const run = (client, command, extra = {}) =>
  client.callTool({ name: "run_command", arguments: { command, ...extra } }).then((r) => r.structuredContent ?? {});
// Servers of the test's own on the host's loopback (outside the sandbox), each recording
// from outside the first line of what reached it.
const lineServer = (http) => new Promise((resolve) => {
  const seen = [];
  const srv = createServer((sock) => {
    let b = "";
    sock.on("error", () => {});
    sock.on("data", (d) => {
      b += d;
      if (http ? !b.includes("\r\n\r\n") : !b.includes("\n")) return;
      const line = b.split(/\r?\n/)[0];
      seen.push(line);
      const body = "ok " + line + "\n";
      sock.end(http ? `HTTP/1.0 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}` : body);
      b = "";
    });
  });
  srv.listen(0, "127.0.0.1", () => resolve({ srv, seen, port: srv.address().port }));
});
const servers = [];
const server = async (http = false) => { const s = await lineServer(http); servers.push(s.srv); return s; };
const choices = (p) => p.requestedSchema?.properties?.choice?.oneOf?.map((c) => c.const) ?? [];
const pick = (choice) => ({ action: "accept", content: { choice } });

try {
  const client = await sdkClient(true);

  // Granted for this call: the write completes and the file exists outside afterwards.
  asked.length = 0;
  answer = (p) => pick(p.message.includes("granted.txt") ? "run" : "deny");
  let sc = await run(client, `echo granted > ${outside}/granted.txt && cat ${outside}/granted.txt`);
  check("an outside write is asked once, naming the path and the process",
    asked.length === 1 && asked[0].message.includes(`${outside}/granted.txt`) && /process \d+/.test(asked[0].message) &&
    choices(asked[0]).includes("run") && choices(asked[0]).includes("deny") && !choices(asked[0]).includes("always"),
    JSON.stringify(asked));
  check("granted for the call: the command succeeds and the file exists outside",
    sc.exit_code === 0 && sc.stdout === "granted\n" && readFileSync(join(outside, "granted.txt"), "utf8") === "granted\n",
    JSON.stringify(sc));
  const g = sc.grants?.[0] ?? {};
  check("the grant is in the result, answered by the mcp-client",
    sc.grants?.length === 1 && g.answer === "allow" && g.scope === "run" && g.by === "mcp-client" &&
    g.path === `${outside}/granted.txt`, JSON.stringify(sc.grants));

  // npm-style: the directory granted for the call, many files written there; a sibling
  // directory that was not granted is asked again, declined, and stays absent.
  asked.length = 0;
  const first = (p) => p.message.split("\n")[0];  // the operation and the path (then the process)
  answer = (p) => first(p).includes("/cache") && choices(p).includes("directory") ? pick("directory") : { action: "decline" };
  sc = await run(client, `mkdir ${outside}/cache && for i in 1 2 3 4 5 6 7 8 9 10; do echo $i > ${outside}/cache/f$i || exit 3; done; ` +
    `echo s > ${outside}/sibling.txt; echo done`);
  check("a directory granted for the call: ten files written after one question",
    readdirSync(join(outside, "cache")).length === 10 && asked.filter((p) => first(p).includes("/cache")).length === 1 &&
    sc.stdout === "done\n", JSON.stringify({ asked: asked.map((p) => p.message.split("\n")[0]), sc }));
  check("a sibling that was not granted is refused", !existsSync(join(outside, "sibling.txt")) &&
    sc.grants?.some((x) => x.path === `${outside}/sibling.txt` && x.answer === "deny" && x.by === "mcp-client"),
    JSON.stringify(sc.grants));

  // A later call starts with nothing granted: "for this call" does not outlive it.
  asked.length = 0;
  answer = () => ({ action: "decline" });
  sc = await run(client, `echo again > ${outside}/cache/later.txt`);
  check("a decline leaves the file absent; the next call asks again",
    asked.length === 1 && !existsSync(join(outside, "cache", "later.txt")) && sc.exit_code !== 0 &&
    sc.grants?.[0]?.answer === "deny", JSON.stringify(sc));

  // Never asked: protected paths stay refused without a question.
  asked.length = 0;
  answer = () => pick("run");
  sc = await run(client, `echo x > ${outside}/repo/.git/hooks/pre-commit; echo x >> ${home}/.bashrc; true`);
  check("protected paths (.git/hooks, ~/.bashrc) are never asked and stay refused",
    asked.length === 0 && !existsSync(join(outside, "repo", ".git", "hooks", "pre-commit")) && !existsSync(join(home, ".bashrc")),
    JSON.stringify({ asked, denials: sc.denials }));

  // Tool arguments cannot pre-approve anything.
  asked.length = 0;
  const refused = await client.callTool({ name: "run_command", arguments: { command: `echo x > ${outside}/pre.txt`, ask: "run", grants: ["run"] } });
  check("an argument that tries to pre-approve is refused", refused.isError === true && asked.length === 0 &&
    !existsSync(join(outside, "pre.txt")), JSON.stringify(refused));

  // No answer in time: deny (the client's request is cancelled); the server keeps
  // serving other calls meanwhile.
  asked.length = 0;
  answer = () => new Promise(() => {});  // never answers
  const t0 = Date.now();
  const slow = run(client, `echo late > ${outside}/late.txt`);
  await sleep(1000);
  const quick = await client.ping().then(() => "pong", () => "no");
  const t1 = Date.now();
  sc = await slow;
  check("the server answers while a question waits", quick === "pong" && t1 - t0 < 3500, `${quick} ${t1 - t0}`);
  check("no answer within --ask-timeout is deny", !existsSync(join(outside, "late.txt")) && asked.length === 1 &&
    sc.grants?.[0]?.answer === "deny" && sc.grants?.[0]?.by === "timeout" && Date.now() - t0 >= 3500,
    JSON.stringify(sc.grants));
  await client.close();

  // "always": one rule in the config file named with --config.
  asked.length = 0;
  const always = await sdkClient(true, ["--config", config]);
  answer = (p) => choices(p).includes("always") ? pick("always") : { action: "decline" };
  sc = await run(always, `mkdir -p ${outside}/kept && echo k > ${outside}/kept/a`);
  const text = readFileSync(config, "utf8");
  check("always writes one filesystem.writable rule into the user config",
    existsSync(join(outside, "kept", "a")) && text.split(`${outside}/kept`).length === 2 &&
    sc.grants?.[0]?.scope === "always" && sc.grants?.[0]?.config === config, JSON.stringify({ text, grants: sc.grants }));
  await always.close();

  // A read of a file added with --deny-read: asked through the client, the granted one read
  // (a sealed copy), its denied sibling still empty; a default secret never asked.
  asked.length = 0;
  writeFileSync(join(outside, "token.txt"), "TOKEN-CONTENT\n");
  writeFileSync(join(outside, "other.txt"), "OTHER-CONTENT\n");
  const reader = await sdkClient(true, ["--no-config", "--deny-read", join(outside, "token.txt"),
    "--deny-read", join(outside, "other.txt")]);
  answer = (p) => p.message.includes("token.txt") ? pick("once") : { action: "decline" };
  sc = await run(reader, `cat ${outside}/token.txt; cat ${outside}/other.txt; cat $HOME/.ssh/id_rsa 2>/dev/null; echo end`);
  const readAsks = asked.filter((p) => p.message.includes("token.txt") || p.message.includes("other.txt"));
  check("a read of a --deny-read file is asked through the client; granted, it is read; a declined sibling stays unread",
    sc.stdout?.includes("TOKEN-CONTENT") && !sc.stdout?.includes("OTHER-CONTENT") && sc.stdout?.includes("end") &&
    readAsks.length === 2 && asked.length === 2 && !choices(readAsks[0]).includes("always"),
    JSON.stringify({ sc, asked }));
  await reader.close();

  // A file below a directory added with --deny-read (an empty tmpfs inside): asked through
  // the client likewise (no directory choice there), granted and read; its declined sibling unread.
  asked.length = 0;
  mkdirSync(join(outside, "vault"), { recursive: true });
  writeFileSync(join(outside, "vault", "granted"), "VAULT-GRANTED\n");
  writeFileSync(join(outside, "vault", "declined"), "VAULT-DECLINED\n");
  const dirReader = await sdkClient(true, ["--no-config", "--deny-read", join(outside, "vault")]);
  answer = (p) => p.message.includes("vault/granted") ? pick("once") : { action: "decline" };
  sc = await run(dirReader, `cat ${outside}/vault/granted; cat ${outside}/vault/declined; echo end`);
  check("a read of a file below a --deny-read directory is asked through the client; granted, it is read; a declined sibling stays unread",
    sc.stdout?.includes("VAULT-GRANTED") && !sc.stdout?.includes("VAULT-DECLINED") && sc.stdout?.includes("end") &&
    asked.length === 2 && !choices(asked[0]).includes("directory") && !choices(asked[0]).includes("always"),
    JSON.stringify({ sc, asked }));
  await dirReader.close();

  // The network through the client.
  const py = "/usr/bin/python3";
  writeFileSync(join(ws, "conn.py"), [
    "import socket, sys",
    "port, line = int(sys.argv[1]), sys.argv[2]",
    "s = socket.socket()",
    "s.settimeout(20)",
    "try:",
    "    s.connect(('127.0.0.1', port))",
    "    s.sendall(line.encode() + b'\\n')",
    "    print('got', s.recv(100).decode().strip(), flush=True)",
    "except ConnectionRefusedError:",
    "    print('refused', port, flush=True)",
    ""].join("\n"));
  writeFileSync(join(ws, "lookup.py"), [
    "import socket, sys",
    "try:",
    "    socket.getaddrinfo(sys.argv[1], 80)",
    "    print('resolved', sys.argv[1], flush=True)",
    "except socket.gaierror:",
    "    print('no such host', sys.argv[1], flush=True)",
    ""].join("\n"));
  const have = (tool) => { try { execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }); return true; } catch { return false; } };
  const sameList = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  try {
    if (!existsSync(py)) {
      console.log(`skip the network questions: ${py} is missing`);
    } else {
      // A loopback port granted for the call mid-run; a sibling port declined.
      const granted = await server(), sibling = await server();
      const net = await sdkClient(true);
      asked.length = 0;
      answer = (p) => p.message.includes(`connect to 127.0.0.1:${granted.port} `) ? pick("run") : { action: "decline" };
      sc = await run(net, `${py} ${ws}/conn.py ${granted.port} first; ${py} ${ws}/conn.py ${granted.port} second; ` +
        `${py} ${ws}/conn.py ${sibling.port} sib`);
      check("a loopback port is asked once, naming the address, the process and the port's choices",
        asked.length === 2 && asked[0].message.includes(`connect to 127.0.0.1:${granted.port} (the host's loopback port ${granted.port}`) &&
        /process \d+: .*conn\.py/.test(asked[0].message) && sameList(choices(asked[0]), ["once", "run", "deny"]) &&
        asked[1].message.includes(`127.0.0.1:${sibling.port}`), JSON.stringify(asked.map((p) => p.message)));
      check("a granted loopback port: the command reaches it, the outside server saw exactly the granted connections",
        sc.stdout?.includes("got ok first") && sc.stdout?.includes("got ok second") && sameList(granted.seen, ["first", "second"]),
        JSON.stringify({ seen: granted.seen, sc }));
      check("a declined loopback port: refused, and its server saw nothing",
        sc.stdout?.includes(`refused ${sibling.port}`) && sibling.seen.length === 0, JSON.stringify({ seen: sibling.seen, out: sc.stdout }));
      const lg = sc.grants ?? [];
      check("the port's question and answer are in the result",
        lg.length === 2 && lg[0].network === "localhost" && lg[0].address === `127.0.0.1:${granted.port}` &&
        lg[0].scope === "run" && lg[0].rule === String(granted.port) && lg[0].by === "mcp-client" &&
        lg[1].answer === "deny" && lg[1].by === "mcp-client" &&
        sc.denials?.some((d) => d.address === `127.0.0.1:${sibling.port}`), JSON.stringify({ grants: lg, denials: sc.denials }));
      // A choice the question did not offer ("directory" for a port) is deny.
      asked.length = 0;
      answer = () => pick("directory");
      sc = await run(net, `${py} ${ws}/conn.py ${sibling.port} dir`);
      check("a port answered with a choice not offered is refused; its server saw nothing",
        asked.length === 1 && sc.stdout?.includes(`refused ${sibling.port}`) && sibling.seen.length === 0 &&
        sc.grants?.[0]?.answer === "deny", JSON.stringify({ asked: asked.length, sc }));
      await net.close();

      // "always" for a port: one network.allow_localhost entry in the config named with
      // --config (the running server's policy is fixed: it holds from the next start).
      const kept = await server();
      const netAlways = await sdkClient(true, ["--config", config]);
      asked.length = 0;
      answer = (p) => choices(p).includes("always") ? pick("always") : { action: "decline" };
      sc = await run(netAlways, `${py} ${ws}/conn.py ${kept.port} kept`);
      const conf = readFileSync(config, "utf8");
      check("always for a port writes one network.allow_localhost entry and connects",
        sameList(choices(asked[0] ?? {}), ["once", "run", "always", "deny"]) && sameList(kept.seen, ["kept"]) &&
        /allow_localhost/.test(conf) && conf.split(String(kept.port)).length === 2 && sc.grants?.[0]?.scope === "always" &&
        sc.grants?.[0]?.config === config, JSON.stringify({ conf, grants: sc.grants, seen: kept.seen }));
      await netAlways.close();

      // Hosts through the proxy and the name server (the names resolved by cordon's test
      // override to the test's servers on the loopback; private.test to a private address).
      if (!have("curl")) {
        console.log("skip the proxied host questions: curl is missing");
      } else {
        const good = await server(true), bad = await server(true);
        const names = ["n1", "n2", "n3", "n4", "n5", "n6"];
        const proxyEnv = { ...env, CORDON_TEST_RESOLVE: ["good.test", "bad.test", ...names.map((n) => `${n}.test`)]
          .map((n) => `${n}=127.0.0.1`).concat(["private.test=10.0.0.5"]).join(",") };
        const proxied = await sdkClient(true, ["--no-config", "--net", "proxy"], proxyEnv);
        asked.length = 0;
        answer = (p) => /connect to (good|private)\.test:/.test(p.message) ? pick("run") : { action: "decline" };
        sc = await run(proxied, `curl -sS --max-time 30 http://good.test:${good.port}/via-proxy; echo curl=$?; ` +
          `curl -sS --max-time 30 -o /dev/null -w 'bad=%{http_code}\\n' http://bad.test:${bad.port}/; ` +
          `curl -sS --max-time 30 -o /dev/null -w 'private=%{http_code}\\n' http://private.test:80/; ` +
          `${py} ${ws}/lookup.py unknown.test`);
        const q = (re) => asked.find((p) => re.test(p.message));
        const goodQ = q(/connect to good\.test:/), lookupQ = q(/look up unknown\.test/);
        check("a proxied host is asked with its name, the proxy, and that no process is known",
          goodQ?.message.includes(`connect to good.test:${good.port} (not in the allowlist; through cordon's proxy)`) &&
          goodQ.message.includes("pid 0") && sameList(choices(goodQ), ["once", "run", "deny"]),
          JSON.stringify(asked.map((p) => p.message)));
        check("a proxied host granted mid-run: the outside server saw exactly the granted request",
          sc.stdout?.includes("ok GET /via-proxy") && sc.stdout?.includes("curl=0") && sameList(good.seen, ["GET /via-proxy HTTP/1.1"]),
          JSON.stringify({ seen: good.seen, sc }));
        check("a declined host is refused and its server saw nothing",
          sc.stdout?.includes("bad=403") && bad.seen.length === 0, JSON.stringify({ seen: bad.seen, out: sc.stdout }));
        check("a granted name that resolves to a private address is still refused",
          sc.stdout?.includes("private=403") && asked.filter((p) => p.message.includes("private.test")).length === 1,
          JSON.stringify(sc.stdout));
        check("the name server asks too (pid 0, said so) and a declined name does not resolve",
          lookupQ?.message.includes("(not in the allowlist; through cordon's name server)") && lookupQ.message.includes("not known") &&
          sc.stdout?.includes("no such host unknown.test"), JSON.stringify({ lookupQ, out: sc.stdout }));
        check("the hosts' questions and answers are in the result",
          sc.grants?.some((g) => g.network === "domain" && g.address === `good.test:${good.port}` && g.rule === "good.test" &&
            g.scope === "run" && g.by === "mcp-client" && g.pid === 0) &&
          sc.grants?.some((g) => g.address === `bad.test:${bad.port}` && g.answer === "deny"),
          JSON.stringify(sc.grants));

        // Many threads asking at once (concurrent connections through the proxy): one
        // question at a time, each answer reaching only the question it answers. The
        // handler answers late and out of step; odd hosts granted, even ones declined.
        asked.length = 0;
        good.seen.length = 0;
        let open = 0, most = 0;
        answer = async (p) => {
          open++; most = Math.max(most, open);
          await sleep(50 + Math.floor(Math.random() * 150));
          open--;
          return /connect to n[135]\.test:/.test(p.message) ? pick("run") : { action: "decline" };
        };
        sc = await run(proxied, names.map((n) =>
          `curl -sS --max-time 40 -o /dev/null -w '${n}=%{http_code}\\n' http://${n}.test:${good.port}/${n} &`).join(" ") + " wait");
        const seenHosts = good.seen.map((l) => l.split(" ")[1]).sort();
        check("concurrent host questions: each asked once, one at a time, each answer reaching its own question",
          asked.length === 6 && most === 1 && sameList(seenHosts, ["/n1", "/n3", "/n5"]) &&
          ["n1=200", "n3=200", "n5=200", "n2=403", "n4=403", "n6=403"].every((x) => sc.stdout?.includes(x)) &&
          names.every((n) => sc.grants?.some((g) => g.rule === `${n}.test` || g.address === `${n}.test:${good.port}`)),
          JSON.stringify({ asked: asked.length, most, seenHosts, out: sc.stdout, grants: sc.grants }));
        await proxied.close();
      }
    }
  } catch (e) {
    check("no exception in the network questions", false, String(e?.stack || e));
  }

  // A client without the elicitation capability: nothing is asked, the refusal stands
  // and the result says why.
  asked.length = 0;
  const plain = await sdkClient(false);
  sc = await run(plain, `echo x > ${outside}/noelicit.txt`);
  check("a client without elicitation gets the refusal, with the reason",
    !existsSync(join(outside, "noelicit.txt")) && sc.exit_code !== 0 && !sc.grants &&
    sc.notes?.some((n) => n.includes("elicitation")), JSON.stringify(sc));
  await plain.close();

  // A hostile client on the raw stream: answers before being asked, to ids never asked,
  // with huge and malformed content, then declines; then answers again (accept) after
  // the decline. Only the decline counts.
  const child = spawn(cordon, serverArgs(["--no-config"]), { stdio: ["pipe", "pipe", "inherit"], env });
  const lines = [];
  let buf = "";
  child.stdout.on("data", (d) => {
    buf += d;
    for (let i; (i = buf.indexOf("\n")) >= 0;) { lines.push(JSON.parse(buf.slice(0, i))); buf = buf.slice(i + 1); }
  });
  const put = (m) => child.stdin.write(JSON.stringify(m) + "\n");
  const accept = (id) => ({ jsonrpc: "2.0", id, result: { action: "accept", content: { choice: "run" } } });
  put({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: { elicitation: {} }, clientInfo: { name: "raw", version: "0" } } });
  put({ jsonrpc: "2.0", method: "notifications/initialized" });
  put({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "run_command", arguments: { command: `echo x > ${outside}/hostile.txt; echo y > ${outside}/hostile2.txt` } } });
  for (const id of ["cordon-ask-1", "cordon-ask-2", 1, 2]) put(accept(id));  // before any question
  const waitFor = async (pred) => { for (let i = 0; i < 100; i++) { const m = lines.find(pred); if (m) return m; await sleep(100); } };
  const q1 = await waitFor((m) => m.method === "elicitation/create");
  put(accept("cordon-ask-999"));
  put({ jsonrpc: "2.0", id: q1?.id, result: { action: "accept", content: { choice: "x".repeat(3 << 20) } } });
  put({ jsonrpc: "2.0", id: q1?.id, result: { action: "accept", content: { choice: "run" } } });  // second answer
  const q2 = await waitFor((m) => m.method === "elicitation/create" && m.id !== q1?.id);
  put({ jsonrpc: "2.0", id: q2?.id, result: { action: "accept", content: { choice: ["run"] } } });
  put(accept(q2?.id));
  const res = await waitFor((m) => m.id === 2);
  const hsc = res?.result?.structuredContent ?? {};
  check("a raw client's early, foreign, huge, repeated and mistyped answers grant nothing",
    q1 && q2 && !existsSync(join(outside, "hostile.txt")) && !existsSync(join(outside, "hostile2.txt")) &&
    hsc.grants?.length === 2 && hsc.grants.every((x) => x.answer === "deny" && x.by === "mcp-client"), JSON.stringify({ q1, q2, hsc }));
  // A command that floods questions: each waits for its answer, one at a time, and
  // past the per-call bound they are denied without asking.
  let flood = 0;
  const floodDone = (async () => {
    put({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "run_command", arguments: { command: `for i in $(seq 1 40); do echo > ${outside}/flood$i; done; echo end` } } });
    for (const seen = new Set(lines.filter((l) => l.method === "elicitation/create").map((l) => l.id)); ;) {
      const m = lines.find((l) => l.id === 3);
      if (m) return m;
      for (const q of lines.filter((l) => l.method === "elicitation/create" && !seen.has(l.id))) {
        seen.add(q.id);
        flood++;
        put({ jsonrpc: "2.0", id: q.id, result: { action: "decline" } });
      }
      await sleep(20);
    }
  })();
  const fl = await Promise.race([floodDone, sleep(60000).then(() => null)]);
  const fsc = fl?.result?.structuredContent ?? {};
  check("a flood of questions is bounded per call (32 asked, the rest denied by limit)",
    flood === 32 && fsc.stdout === "end\n" && fsc.grants?.filter((x) => x.by === "limit").length === 8,
    JSON.stringify({ flood, grants: fsc.grants?.length }));
  // An answer after the timeout: the server has denied and cancelled the request; the
  // late accept is dropped.
  const before = new Set(lines.filter((l) => l.method === "elicitation/create").map((l) => l.id));
  put({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "run_command", arguments: { command: `echo x > ${outside}/tardy.txt` } } });
  const q3 = await waitFor((m) => m.method === "elicitation/create" && !before.has(m.id));
  const cancelled = await waitFor((m) => m.method === "notifications/cancelled" && m.params?.requestId === q3?.id);
  put(accept(q3?.id));
  const late = (await waitFor((m) => m.id === 5))?.result?.structuredContent ?? {};
  check("an answer after the timeout grants nothing (the request was cancelled first)",
    q3 && cancelled && !existsSync(join(outside, "tardy.txt")) && late.grants?.[0]?.by === "timeout",
    JSON.stringify({ cancelled, grants: late.grants }));
  if (existsSync(py)) {
    // Network questions on the raw stream. An answer to another question's id, then none:
    // the server denies at the timeout and cancels the request, and the late accept that
    // races it is dropped; the outside server sees nothing.
    const raced = await server();
    const seenBefore = new Set(lines.filter((l) => l.method === "elicitation/create").map((l) => l.id));
    put({ jsonrpc: "2.0", id: 6, method: "tools/call", params: { name: "run_command", arguments: { command: `${py} ${ws}/conn.py ${raced.port} raced` } } });
    const q4 = await waitFor((m) => m.method === "elicitation/create" && !seenBefore.has(m.id));
    put(accept(q1?.id));  // answered long ago
    put(accept(q3?.id));  // timed out long ago
    const cancelled4 = await waitFor((m) => m.method === "notifications/cancelled" && m.params?.requestId === q4?.id);
    put(accept(q4?.id));
    const r6 = (await waitFor((m) => m.id === 6))?.result?.structuredContent ?? {};
    check("a port question: answers to other ids and an accept racing the timeout grant nothing",
      q4?.params?.message?.includes(`127.0.0.1:${raced.port}`) && cancelled4 && raced.seen.length === 0 &&
      r6.stdout?.includes(`refused ${raced.port}`) && r6.grants?.[0]?.by === "timeout" && r6.grants?.[0]?.answer === "deny",
      JSON.stringify({ q4, cancelled4, r6 }));
    // Two calls asking at once: the answer to one call's question reaches only that call.
    const p7 = await server(), p8 = await server();
    const seen2 = new Set(lines.filter((l) => l.method === "elicitation/create").map((l) => l.id));
    put({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "run_command", arguments: { command: `${py} ${ws}/conn.py ${p7.port} seven` } } });
    put({ jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "run_command", arguments: { command: `${py} ${ws}/conn.py ${p8.port} eight` } } });
    const fresh = () => lines.filter((m) => m.method === "elicitation/create" && !seen2.has(m.id));
    await waitFor(() => fresh().length >= 2);
    const q7 = fresh().find((m) => m.params?.message?.includes(`:${p7.port} `));
    const q8 = fresh().find((m) => m.params?.message?.includes(`:${p8.port} `));
    put(accept(q8?.id));
    const r8 = (await waitFor((m) => m.id === 8))?.result?.structuredContent ?? {};
    put({ jsonrpc: "2.0", id: q7?.id, result: { action: "decline" } });
    const r7 = (await waitFor((m) => m.id === 7))?.result?.structuredContent ?? {};
    check("two calls' port questions: each answer reaches only its own question",
      q7 && q8 && sameList(p8.seen, ["eight"]) && p7.seen.length === 0 && r8.stdout?.includes("got ok eight") &&
      r7.stdout?.includes(`refused ${p7.port}`) && r7.grants?.[0]?.answer === "deny" && r8.grants?.[0]?.answer === "allow",
      JSON.stringify({ q7: q7?.id, q8: q8?.id, p7: p7.seen, p8: p8.seen, r7: r7.stdout, r8: r8.stdout }));
  }
  put({ jsonrpc: "2.0", id: 4, method: "ping" });
  check("the server still serves after it all", (await waitFor((m) => m.id === 4))?.result !== undefined);
  child.stdin.end();
  await new Promise((r) => child.on("close", r));
} catch (e) {
  check("no exception", false, String(e?.stack || e));
} finally {
  for (const srv of servers) srv.close();
  for (const d of made) rmSync(d, { recursive: true, force: true });
}
console.log(`mcp ask e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
