// Package managers through cordon's proxy, on loopback only: a fake npm registry
// (packument JSON and a .tgz), a fake Python simple index (PEP 503 HTML and a wheel)
// and a fake sparse cargo registry over http, each served by a test server on the
// host's 127.0.0.1 under a fake name that CORDON_TEST_RESOLVE maps there. The tools
// find the proxy through the environment cordon sets (npm_config_proxy, HTTP_PROXY,
// PIP_PROXY, CARGO_HTTP_PROXY); nothing reaches an outside
// address, and a registry name that is not allowed fails with the server seeing
// nothing. Caches live in the workspace; each tool is skipped when absent.
#include <algorithm>

#include "e2e/net_servers.hpp"

using namespace cordon_test;

namespace {

// Runs a shell command outside the sandbox (test setup) in `dir`; its stdout.
std::string setup(const std::string& dir, const std::string& script) {
  auto o = run_process({"sh", "-c", script}, dir);
  EXPECT_EQ(o.code, 0) << script << "\n" << o.err;
  return o.out;
}

bool have_pip() {
  return have_tool("python3") &&
         run_process({"python3", "-m", "pip", "--version"}, "/", "", {"PIP_DISABLE_PIP_VERSION_CHECK=1"})
                 .code == 0;
}

// A registry with one package, tiny-pkg 1.0.0, whose tarball URL names `host`.
struct NpmRegistry {
  OutsideDir dir;
  TestServer server{true};
  explicit NpmRegistry(const std::string& host) {
    setup(dir.path(),
          "mkdir package && printf '{\"name\":\"tiny-pkg\",\"version\":\"1.0.0\",\"main\":\"index.js\"}' "
          "> package/package.json && echo 'module.exports = \"tiny-pkg works\";' > package/index.js && "
          "tar czf tiny-pkg-1.0.0.tgz package");
    const std::string sha1 = setup(dir.path(), "sha1sum tiny-pkg-1.0.0.tgz | cut -d' ' -f1 | tr -d '\\n'");
    const std::string tarball = "/tiny-pkg/-/tiny-pkg-1.0.0.tgz";
    server.route("/tiny-pkg",
                 "{\"name\":\"tiny-pkg\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":"
                 "{\"name\":\"tiny-pkg\",\"version\":\"1.0.0\",\"main\":\"index.js\",\"dist\":{"
                 "\"shasum\":\"" +
                     sha1 + "\",\"tarball\":\"http://" + host + ":" + server.port_text() + tarball + "\"}}}}",
                 "application/json");
    server.route(tarball, read_file(dir / "tiny-pkg-1.0.0.tgz"));
  }
  // npm install of tiny-pkg from http://HOST:PORT/ inside the sandbox, cache in the workspace.
  std::string install_script(const std::string& host) const {
    return "mkdir -p app && cd app && echo '{\"name\":\"app\",\"version\":\"1.0.0\",\"private\":true}' > "
           "package.json && npm install --registry http://" +
           host + ":" + server.port_text() +
           "/ --cache \"$PWD/../npm-cache\" --no-audit --no-fund --no-update-notifier --fetch-retries=0 "
           "--loglevel=error tiny-pkg@1.0.0 && node -e 'console.log(require(\"tiny-pkg\"))'";
  }
};

// A PEP 503 simple index with one project, tinypkg 1.0 (a pure-Python wheel).
struct PythonIndex {
  OutsideDir dir;
  TestServer server{true};
  static constexpr const char* kWheel = "tinypkg-1.0-py3-none-any.whl";
  PythonIndex() {
    const std::string sha256 = setup(dir.path(), R"(python3 - <<'PY'
import base64, hashlib, zipfile
files = {"tinypkg/__init__.py": b"VALUE = 'tinypkg works'\n",
         "tinypkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n",
         "tinypkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: cordon-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
record = ""
for name, data in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record += f"{name},sha256={digest},{len(data)}\n"
record += "tinypkg-1.0.dist-info/RECORD,,\n"
with zipfile.ZipFile("tinypkg-1.0-py3-none-any.whl", "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
    z.writestr("tinypkg-1.0.dist-info/RECORD", record)
print(hashlib.sha256(open("tinypkg-1.0-py3-none-any.whl", "rb").read()).hexdigest(), end="")
PY)" + std::string("\n"));
    server.route("/simple/tinypkg/",
                 std::string("<!DOCTYPE html><html><body><a href=\"/files/") + kWheel + "#sha256=" + sha256 +
                     "\">" + kWheel + "</a></body></html>\n",
                 "text/html");
    server.route(std::string("/files/") + kWheel, read_file(dir / kWheel));
  }
  std::string pip_options(const std::string& host) const {
    return " --no-deps --no-cache-dir --disable-pip-version-check --retries 0 --timeout 10 --index-url "
           "http://" +
           host + ":" + server.port_text() + "/simple/ --trusted-host " + host + " ";
  }
};

// A sparse cargo registry (config.json, one index file, one .crate): tinycrate 1.0.0.
struct CargoRegistry {
  OutsideDir dir;
  TestServer server{true};
  explicit CargoRegistry(const std::string& host) {
    setup(
        dir.path(),
        "mkdir -p tinycrate-1.0.0/src && printf '[package]\\nname = \"tinycrate\"\\nversion = \"1.0.0\"\\n"
        "edition = \"2021\"\\n' > tinycrate-1.0.0/Cargo.toml && echo 'pub const VALUE: &str = \"works\";' > "
        "tinycrate-1.0.0/src/lib.rs && tar czf tinycrate-1.0.0.crate tinycrate-1.0.0");
    const std::string sha256 =
        setup(dir.path(), "sha256sum tinycrate-1.0.0.crate | cut -d' ' -f1 | tr -d '\\n'");
    const std::string base = "http://" + host + ":" + server.port_text();
    server.route("/index/config.json", "{\"dl\":\"" + base + "/dl/{crate}-{version}.crate\"}",
                 "application/json");
    server.route("/index/ti/ny/tinycrate",
                 "{\"name\":\"tinycrate\",\"vers\":\"1.0.0\",\"deps\":[],\"cksum\":\"" + sha256 +
                     "\",\"features\":{},\"yanked\":false}\n");
    server.route("/dl/tinycrate-1.0.0.crate", read_file(dir / "tinycrate-1.0.0.crate"));
  }
  // cargo fetch of a project that depends on tinycrate from this registry under `host`;
  // CARGO_HOME in the workspace, rustup's toolchains (if any) read where they are.
  std::string fetch_script(const std::string& host) const {
    std::string rustup;
    if (have_tool("rustup")) {
      auto home = run_process({"rustup", "show", "home"}, "/");
      if (home.code == 0 && !home.out.empty())
        rustup = "RUSTUP_HOME='" + home.out.substr(0, home.out.find('\n')) + "' ";
    }
    return "mkdir -p proj/src proj/.cargo && cd proj && printf '[package]\\nname = \"proj\"\\nversion = "
           "\"0.1.0\"\\n"
           "edition = \"2021\"\\n\\n[dependencies]\\ntinycrate = { version = \"1.0.0\", registry = \"fake\" "
           "}\\n' > "
           "Cargo.toml && echo 'fn main() {}' > src/main.rs && printf '[registries.fake]\\nindex = "
           "\"sparse+http://" +
           host + ":" + server.port_text() + "/index/\"\\n' > .cargo/config.toml && " + rustup +
           "CARGO_HOME=\"$PWD/../cargo-home\" CARGO_NET_RETRY=0 cargo fetch && ls "
           "../cargo-home/registry/cache/*/";
  }
};

const std::vector<std::string> kPipEnv = {"PIP_ROOT_USER_ACTION=ignore", "PIP_CONFIG_FILE=/dev/null"};

}  // namespace

TEST(PackageManagers, NpmInstallsFromAnAllowedRegistryThroughTheProxy) {
  SKIP_WITHOUT("npm");
  SKIP_WITHOUT("node");
  SKIP_WITHOUT("tar");
  NpmRegistry registry("npm.test");
  NetBox box;
  auto o = box.run(registry.install_script("npm.test"), {"--allow-domain", "npm.test"});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "tiny-pkg works")) << o.out << o.err;
  auto r = registry.server.requests();
  EXPECT_NE(std::find(r.begin(), r.end(), "GET /tiny-pkg HTTP/1.1"), r.end()) << ::testing::PrintToString(r);
  EXPECT_NE(std::find(r.begin(), r.end(), "GET /tiny-pkg/-/tiny-pkg-1.0.0.tgz HTTP/1.1"), r.end())
      << ::testing::PrintToString(r);
}

TEST(PackageManagers, NpmFailsForARegistryNotAllowed) {
  SKIP_WITHOUT("npm");
  SKIP_WITHOUT("tar");
  NpmRegistry registry("evil-registry.test");
  NetBox box;
  auto o = box.run(registry.install_script("evil-registry.test"), {"--allow-domain", "npm.test"});
  EXPECT_NE(o.code, 0) << o.out;
  EXPECT_FALSE(contains(o.out, "tiny-pkg works"));
  EXPECT_TRUE(registry.server.requests().empty());
  EXPECT_TRUE(
      contains(o.err, "evil-registry.test:" + registry.server.port_text() + " (not in the allowlist)"))
      << o.err;
}

TEST(PackageManagers, PipDownloadsAndInstallsFromAnAllowedIndex) {
  if (!have_pip()) GTEST_SKIP() << "python3 -m pip is not available";
  PythonIndex index;
  NetBox box;
  // The interpreter itself rather than a version manager's shim (pyenv's rehashes its
  // read-only shims after an install and fails).
  const std::string py = "py=$(python3 -c 'import sys; print(sys.executable)') && ";
  auto o = box.run(
      py + "\"$py\" -m pip download" + index.pip_options("pypi.test") + "-d dl tinypkg==1.0 && ls dl && " +
          "\"$py\" -m pip install" + index.pip_options("pypi.test") +
          "--target site tinypkg==1.0 && PYTHONPATH=site \"$py\" -c 'import tinypkg; print(tinypkg.VALUE)'",
      {"--allow-domain", "pypi.test"}, kPipEnv);
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, std::string(PythonIndex::kWheel) + "\n")) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "tinypkg works")) << o.out << o.err;
  auto r = index.server.requests();
  EXPECT_NE(std::find(r.begin(), r.end(), "GET /simple/tinypkg/ HTTP/1.1"), r.end())
      << ::testing::PrintToString(r);
}

TEST(PackageManagers, PipFailsForAnIndexNotAllowed) {
  if (!have_pip()) GTEST_SKIP() << "python3 -m pip is not available";
  PythonIndex index;
  NetBox box;
  auto o = box.run("python3 -m pip download" + index.pip_options("evil-registry.test") + "-d dl tinypkg==1.0",
                   {"--allow-domain", "pypi.test"}, kPipEnv);
  EXPECT_NE(o.code, 0) << o.out;
  EXPECT_TRUE(index.server.requests().empty());
  EXPECT_TRUE(contains(o.err, "evil-registry.test:" + index.server.port_text() + " (not in the allowlist)"))
      << o.err;
}

TEST(PackageManagers, CargoFetchesFromAnAllowedSparseRegistry) {
  SKIP_WITHOUT("cargo");
  SKIP_WITHOUT("tar");
  CargoRegistry registry("cargo.test");
  NetBox box;
  auto o = box.run(registry.fetch_script("cargo.test"), {"--allow-domain", "cargo.test"});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_TRUE(contains(o.out, "tinycrate-1.0.0.crate\n")) << o.out << o.err;
  auto r = registry.server.requests();
  EXPECT_NE(std::find(r.begin(), r.end(), "GET /dl/tinycrate-1.0.0.crate HTTP/1.1"), r.end())
      << ::testing::PrintToString(r);
}

TEST(PackageManagers, CargoFailsForARegistryNotAllowed) {
  SKIP_WITHOUT("cargo");
  SKIP_WITHOUT("tar");
  CargoRegistry registry("evil-registry.test");
  NetBox box;
  auto o = box.run(registry.fetch_script("evil-registry.test"), {"--allow-domain", "cargo.test"});
  EXPECT_NE(o.code, 0) << o.out;
  EXPECT_TRUE(registry.server.requests().empty());
  EXPECT_TRUE(
      contains(o.err, "evil-registry.test:" + registry.server.port_text() + " (not in the allowlist)"))
      << o.err;
}
