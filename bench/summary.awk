# Summary of bench/run.sh's measurements: bench/timer.cpp's CSV files (seconds in; ms or s out).
#   awk -F, -v mode=text|json -v npaths=N -v nfiles=N -v jobs=N -v build_runs=N -v work_files=N -v tar_files=N \
#       -f summary.awk *.csv
# Targets are judged on medians (a burst of load moves them less); means are shown beside them.
# A section whose commands were not run is left out (text) or null (JSON).

FNR == 1 { next }  # header: command,mean,stddev,median,user,system,min,max,failures
{ have[$1] = 1; mean[$1] = $2; sd[$1] = $3; med[$1] = $4; cpu[$1] = $5 + $6; if ($9 > 0) failed[$1] = $9 }

function num(x) { return sprintf("%.4f", x) }
function jbool(x) { return x ? "true" : "false" }
function ratio(a, b) { return b > 0 ? a / b : -1 }
function verdict(ok) { return ok ? "MET" : "MISSED" }

# bwrap's sandboxed tree is not its waited-for child, so its rusage misses most of the work.
function cpu_known(name) { return name !~ /bwrap/ }
function stat(name, scale) {  # "mean ± sd   median   cpu" in the given unit
  if (!have[name]) return "(not run)"
  return sprintf("%8.2f ± %6.2f %9.2f %9s", mean[name] * scale, sd[name] * scale, med[name] * scale,
                 cpu_known(name) ? sprintf("%.2f", cpu[name] * scale) : "n/a")
}
function row(label, name, scale) { printf "   %-41s %s\n", label, stat(name, scale) }
function diffrow(label, a, b, scale, note) {
  printf "   %-41s %8.2f %18.2f %9s%s\n", label, (mean[a] - mean[b]) * scale, (med[a] - med[b]) * scale,
         cpu_known(a) ? sprintf("%.2f", (cpu[a] - cpu[b]) * scale) : "n/a", note
}
function jstat(name, scale) {
  if (!have[name]) return "null"
  return sprintf("{\"mean\": %s, \"stddev\": %s, \"median\": %s, \"cpu_mean\": %s}", num(mean[name] * scale),
                 num(sd[name] * scale), num(med[name] * scale), cpu_known(name) ? num(cpu[name] * scale) : "null")
}
function jdiff(a, b, scale) {
  if (!have[a] || !have[b]) return "null"
  return sprintf("{\"mean\": %s, \"median\": %s, \"cpu_mean\": %s}", num((mean[a] - mean[b]) * scale),
                 num((med[a] - med[b]) * scale), cpu_known(a) ? num((cpu[a] - cpu[b]) * scale) : "null")
}

# A build difference counts as measurable when it exceeds twice its standard error.
function build_diff(name) { return mean[name] - mean["build-native"] }
function build_noise(name) { return 2 * sqrt((sd[name] ^ 2 + sd["build-native"] ^ 2) / build_runs) }
function build_measurable(name,    d) { d = build_diff(name); return d > build_noise(name) || -d > build_noise(name) }
function build_verdict(name) { return build_runs < 2 ? "n/a (needs 2+ runs)" : build_measurable(name) ? "measurable" : "not measurable" }
function jbuild(name) {
  if (!have[name] || !have["build-native"]) return "null"
  return sprintf("{\"mean_s\": %s, \"percent\": %s, \"two_standard_errors_s\": %s, \"measurable\": %s}", num(build_diff(name)),
                 num(100 * build_diff(name) / mean["build-native"]), num(build_noise(name)),
                 build_runs < 2 ? "null" : jbool(build_measurable(name)))
}

# Real work (section 4): each sandbox's median as a multiple of the bare median; target 1.1.
function work_ratio(name, bare) { return have[name] && med[bare] > 0 ? med[name] / med[bare] : -1 }
function jwork(name, bare) {
  if (!have[name] || !have[bare]) return "null"
  return sprintf("{\"ratio_median\": %s, \"target_ratio_max\": 1.1, \"target_met\": %s}", num(work_ratio(name, bare)),
                 jbool(work_ratio(name, bare) <= 1.1))
}
function workrows(title, prefix,    v, name) {
  printf "\n%-44s %8s   %6s %9s %9s\n", title, "mean", "stddev", "median", "cpu"
  row("bare", prefix "-bare", 1000)
  row("cordon run", prefix "-cordon", 1000)
  if (have[prefix "-bwrap"]) row("bwrap, same profile", prefix "-bwrap", 1000)
  for (v = 1; v <= 2; v++) {
    name = prefix (v == 1 ? "-cordon" : "-bwrap")
    if (!have[name]) continue
    printf "   %-41s %8.3f x%s\n", "ratio of medians: " (v == 1 ? "cordon" : "bwrap") " / bare", work_ratio(name, prefix "-bare"),
           v == 1 ? "   target <= 1.10: " verdict(work_ratio(name, prefix "-bare") <= 1.1) : ""
  }
}

function latency_ratio(stat_of) {
  return ratio(stat_of["cordon"] - stat_of["bare"], stat_of["bwrap"] - stat_of["bare"])
}
# Issue 19's first target: cordon's added latency within 0.5 ms of the floor's (both minus bare,
# so cordon minus the floor), on medians.
function floor_gap(stat_of) { return stat_of["cordon"] - stat_of["floor"] }

END {
  latency = have["bare"] && have["cordon"]
  latency_met = have["bwrap"] && latency_ratio(med) >= 0 && latency_ratio(med) <= 0.5
  floor_met = have["floor"] && floor_gap(med) <= 0.0005
  paths = have["cordon-0"]
  protect_met = med["cordon-protect-N"] - med["cordon-0"] < 0.005
  deny_met = med["cordon-deny-N"] - med["cordon-0"] < 0.005
  build = have["build-native"]

  if (mode == "json") {
    if (!latency) printf "{\"latency_ms\": null,\n"
    else {
      printf "{\"latency_ms\": {\"bare\": %s, \"cordon\": %s, \"bwrap\": %s,\n", jstat("bare", 1000), jstat("cordon", 1000), jstat("bwrap", 1000)
      printf "  \"cordon_added\": %s, \"bwrap_added\": %s,\n", jdiff("cordon", "bare", 1000), jdiff("bwrap", "bare", 1000)
      printf "  \"floor\": %s, \"floor_added\": %s, \"cordon_above_floor\": %s, \"target_above_floor_max_ms\": 0.5, \"floor_target_met\": %s,\n",
             jstat("floor", 1000), jdiff("floor", "bare", 1000), jdiff("cordon", "floor", 1000),
             have["floor"] ? jbool(floor_met) : "null"
      if (have["bwrap"])
        printf "  \"ratio_added\": {\"mean\": %s, \"median\": %s}, \"target_ratio_max\": 0.5, \"target_met\": %s},\n",
               num(latency_ratio(mean)), num(latency_ratio(med)), jbool(latency_met)
      else
        printf "  \"ratio_added\": null, \"target_ratio_max\": 0.5, \"target_met\": null},\n"
    }
    if (!paths) printf " \"paths_ms\": null,\n"
    else {
      printf " \"paths_ms\": {\"n\": %d, \"cordon_none\": %s, \"cordon_protect\": %s, \"cordon_deny_read\": %s,\n", npaths,
             jstat("cordon-0", 1000), jstat("cordon-protect-N", 1000), jstat("cordon-deny-N", 1000)
      printf "  \"protect_added\": %s, \"deny_read_added\": %s, \"target_added_max_ms\": 5, \"protect_target_met\": %s, \"deny_read_target_met\": %s,\n",
             jdiff("cordon-protect-N", "cordon-0", 1000), jdiff("cordon-deny-N", "cordon-0", 1000), jbool(protect_met), jbool(deny_met)
      printf "  \"bwrap_none\": %s, \"bwrap_ro_bind\": %s, \"bwrap_ro_bind_added\": %s},\n", jstat("bwrap-0", 1000),
             jstat("bwrap-ro-bind-N", 1000), jdiff("bwrap-ro-bind-N", "bwrap-0", 1000)
    }
    if (!build) printf " \"build_s\": null,\n"
    else {
      printf " \"build_s\": {\"files\": %d, \"jobs\": %d, \"runs\": %d, \"native\": %s, \"cordon\": %s, \"bwrap\": %s,\n", nfiles, jobs,
             build_runs, jstat("build-native", 1), jstat("build-cordon", 1), jstat("build-bwrap", 1)
      printf "  \"cordon_overhead\": %s,\n  \"bwrap_overhead\": %s},\n", jbuild("build-cordon"), jbuild("build-bwrap")
    }
    if (!have["git-bare"] && !have["tar-bare"]) printf " \"work_ms\": null,\n"
    else {
      printf " \"work_ms\": {\"git_status_files\": %d, \"git_bare\": %s, \"git_cordon\": %s, \"git_bwrap\": %s,\n", work_files,
             jstat("git-bare", 1000), jstat("git-cordon", 1000), jstat("git-bwrap", 1000)
      printf "  \"git_cordon_vs_bare\": %s, \"git_bwrap_vs_bare\": %s,\n", jwork("git-cordon", "git-bare"), jwork("git-bwrap", "git-bare")
      printf "  \"tar_files\": %d, \"tar_bare\": %s, \"tar_cordon\": %s, \"tar_bwrap\": %s,\n", tar_files,
             jstat("tar-bare", 1000), jstat("tar-cordon", 1000), jstat("tar-bwrap", 1000)
      printf "  \"tar_cordon_vs_bare\": %s, \"tar_bwrap_vs_bare\": %s},\n", jwork("tar-cordon", "tar-bare"), jwork("tar-bwrap", "tar-bare")
    }
    printf " \"failed_runs\": {"
    sep = ""
    for (name in failed) { printf "%s\"%s\": %d", sep, name, failed[name]; sep = ", " }
    printf "}}"
    exit
  }

  print "Wall-clock time; cpu = mean user+system time of the waited-for process tree (n/a for bwrap,"
  print "whose sandbox is not its waited-for child). Targets are judged on medians."
  if (latency) {
    printf "\n%-44s %8s   %6s %9s %9s\n", "1. startup latency, /bin/true (ms)", "mean", "stddev", "median", "cpu"
    row("bare exec", "bare", 1000)
    if (have["floor"]) row("namespace floor (unshare -Urnmpi)", "floor", 1000)
    row("cordon run", "cordon", 1000)
    if (have["bwrap"]) row("bwrap, same profile", "bwrap", 1000)
    diffrow("added by cordon (cordon - bare)", "cordon", "bare", 1000, "")
    if (have["floor"]) {
      diffrow("added by the floor (floor - bare)", "floor", "bare", 1000, "")
      diffrow("cordon above the floor (cordon - floor)", "cordon", "floor", 1000,
              "   target <= 0.50 ms: " verdict(floor_met))
    }
    if (have["bwrap"]) {
      diffrow("added by bwrap (bwrap - bare)", "bwrap", "bare", 1000, "")
      printf "   %-41s %8.2f %18.2f %9s   earlier target <= 0.50: %s\n", "ratio: cordon added / bwrap added",
             latency_ratio(mean), latency_ratio(med), "", verdict(latency_met)
    }
  }
  if (paths) {
    printf "\n%-44s %8s   %6s %9s %9s\n", "2. " npaths " protected / denied paths (ms)", "mean", "stddev", "median", "cpu"
    row("cordon, none", "cordon-0", 1000)
    row("cordon, " npaths " x --protect", "cordon-protect-N", 1000)
    row("cordon, " npaths " x --deny-read", "cordon-deny-N", 1000)
    diffrow("added by " npaths " --protect", "cordon-protect-N", "cordon-0", 1000, "   target < 5 ms (issue 19): " verdict(protect_met))
    diffrow("added by " npaths " --deny-read", "cordon-deny-N", "cordon-0", 1000, "   target < 5 ms (issue 19): " verdict(deny_met))
    if (have["bwrap-0"]) {
      row("bwrap, none", "bwrap-0", 1000)
      row("bwrap, " npaths " x --ro-bind", "bwrap-ro-bind-N", 1000)
      diffrow("added by " npaths " --ro-bind (bwrap)", "bwrap-ro-bind-N", "bwrap-0", 1000, "")
      printf "   %-41s %8.3f %18.3f\n", "ratio: cordon --protect / bwrap added",
             ratio(mean["cordon-protect-N"] - mean["cordon-0"], mean["bwrap-ro-bind-N"] - mean["bwrap-0"]),
             ratio(med["cordon-protect-N"] - med["cordon-0"], med["bwrap-ro-bind-N"] - med["bwrap-0"])
    }
  }
  if (build) {
    printf "\n%-44s %8s   %6s %9s %9s\n", "3. build, " nfiles " C files, make -j" jobs " (s)", "mean", "stddev", "median", "cpu"
    row("native", "build-native", 1)
    row("cordon run", "build-cordon", 1)
    if (have["build-bwrap"]) row("bwrap", "build-bwrap", 1)
    for (i = 1; i <= 2; i++) {
      name = i == 1 ? "build-cordon" : "build-bwrap"
      if (!have[name]) continue
      printf "   %-41s %+8.2f s (%+.1f%%), 2 SE = %.2f s: %s\n", (i == 1 ? "cordon" : "bwrap") " - native", build_diff(name),
             100 * build_diff(name) / mean["build-native"], build_noise(name), build_verdict(name)
    }
  }
  if (have["git-bare"]) workrows("4a. git status, " work_files " files (ms)", "git")
  if (have["tar-bare"]) workrows("4b. tar -x, " tar_files " files (ms)", "tar")
  sep = "\n"
  for (name in failed) {
    printf "%sWARNING: %s: %d run(s) failed and were not timed (see first_failure in the JSON)\n", sep, name, failed[name]
    sep = ""
  }
}
