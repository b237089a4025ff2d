# Summary of bench/run.sh's hyperfine CSV exports (seconds in; ms or s out).
#   awk -F, -v mode=text|json -v npaths=N -v nfiles=N -v jobs=N -v build_runs=N -f summary.awk *.csv
# Targets are judged on medians (robust to a busy machine); means are shown beside them.

FNR == 1 { next }  # header: command,mean,stddev,median,user,system,min,max,failures
{ have[$1] = 1; mean[$1] = $2; sd[$1] = $3; med[$1] = $4; cpu[$1] = $5 + $6; if ($9 > 0) failed[$1] = $9 }

# bwrap's sandboxed tree is not its waited-for child, so its rusage misses most of the work.
function cpu_known(name) { return name !~ /bwrap/ }
function cpu_text(name, scale) { return cpu_known(name) ? sprintf("%9.2f", cpu[name] * scale) : sprintf("%9s", "n/a") }
function cpu_json(name, scale) { return cpu_known(name) ? num(cpu[name] * scale) : "null" }
function num(x) { return sprintf("%.4f", x) }
function ratio(a, b) { return b > 0 ? a / b : -1 }
function verdict(ok) { return ok ? "MET" : "MISSED" }
function stat(name, scale) {  # "mean ± sd   median   cpu" in the given unit
  if (!have[name]) return sprintf("%-22s", "(not run)")
  return sprintf("%8.2f ± %6.2f %9.2f %s", mean[name] * scale, sd[name] * scale, med[name] * scale, cpu_text(name, scale))
}
function jstat(name, scale) {
  if (!have[name]) return "null"
  return sprintf("{\"mean\": %s, \"stddev\": %s, \"median\": %s, \"cpu_mean\": %s}", num(mean[name] * scale), num(sd[name] * scale), num(med[name] * scale), cpu_json(name, scale))
}
function jdiff(a, b, scale) {
  if (!have[a] || !have[b]) return "null"
  return sprintf("{\"mean\": %s, \"median\": %s, \"cpu_mean\": %s}", num((mean[a] - mean[b]) * scale), num((med[a] - med[b]) * scale),
                 cpu_known(a) ? num((cpu[a] - cpu[b]) * scale) : "null")
}
function diffrow(label, a, b, scale, note) {
  printf "   %-41s %8.2f %18.2f %s%s\n", label, (mean[a] - mean[b]) * scale, (med[a] - med[b]) * scale,
         cpu_known(a) ? sprintf("%9.2f", (cpu[a] - cpu[b]) * scale) : sprintf("%9s", "n/a"), note
}
function jbool(x) { return x ? "true" : "false" }
# A build difference counts as measurable when it exceeds twice its standard error.
function noise(a, b) { return 2 * sqrt((sd[a] ^ 2 + sd[b] ^ 2) / build_runs) }
function measurable(d, n) { return build_runs < 2 ? "n/a (needs 2+ runs)" : (d > n || -d > n) ? "measurable" : "not measurable" }
function jmeasurable(d, n) { return build_runs < 2 ? "null" : jbool(d > n || -d > n) }

END {
  ca_mean = mean["cordon"] - mean["bare"]; ca_med = med["cordon"] - med["bare"]
  ba_mean = mean["bwrap"] - mean["bare"]; ba_med = med["bwrap"] - med["bare"]
  r_mean = ratio(ca_mean, ba_mean); r_med = ratio(ca_med, ba_med)
  latency_met = have["bwrap"] && r_med >= 0 && r_med <= 0.5
  pa_mean = mean["cordon-protect-N"] - mean["cordon-0"]; pa_med = med["cordon-protect-N"] - med["cordon-0"]
  da_mean = mean["cordon-deny-N"] - mean["cordon-0"]; da_med = med["cordon-deny-N"] - med["cordon-0"]
  bb_mean = mean["bwrap-ro-bind-N"] - mean["bwrap-0"]; bb_med = med["bwrap-ro-bind-N"] - med["bwrap-0"]
  protect_met = pa_med < 0.010; deny_met = da_med < 0.010
  cb = mean["build-cordon"] - mean["build-native"]; bb = mean["build-bwrap"] - mean["build-native"]
  cb_noise = noise("build-cordon", "build-native"); bw_noise = noise("build-bwrap", "build-native")

  if (mode == "json") {
    printf "{\"latency_ms\": {\"bare\": %s, \"cordon\": %s, \"bwrap\": %s,\n", jstat("bare", 1000), jstat("cordon", 1000), jstat("bwrap", 1000)
    printf "  \"cordon_added\": %s, \"bwrap_added\": %s,\n", jdiff("cordon", "bare", 1000), jdiff("bwrap", "bare", 1000)
    if (have["bwrap"])
      printf "  \"ratio_added\": {\"mean\": %s, \"median\": %s}, \"target_ratio_max\": 0.5, \"target_met\": %s},\n", num(r_mean), num(r_med), jbool(latency_met)
    else
      printf "  \"ratio_added\": null, \"target_ratio_max\": 0.5, \"target_met\": null},\n"
    printf " \"paths_ms\": {\"n\": %d, \"cordon_none\": %s, \"cordon_protect\": %s, \"cordon_deny_read\": %s,\n", npaths, jstat("cordon-0", 1000), jstat("cordon-protect-N", 1000), jstat("cordon-deny-N", 1000)
    printf "  \"protect_added\": %s, \"deny_read_added\": %s, \"target_added_max_ms\": 10, \"protect_target_met\": %s, \"deny_read_target_met\": %s,\n", jdiff("cordon-protect-N", "cordon-0", 1000), jdiff("cordon-deny-N", "cordon-0", 1000), jbool(protect_met), jbool(deny_met)
    printf "  \"bwrap_none\": %s, \"bwrap_ro_bind\": %s, \"bwrap_ro_bind_added\": %s},\n", jstat("bwrap-0", 1000), jstat("bwrap-ro-bind-N", 1000), jdiff("bwrap-ro-bind-N", "bwrap-0", 1000)
    printf " \"build_s\": {\"files\": %d, \"jobs\": %d, \"runs\": %d, \"native\": %s, \"cordon\": %s, \"bwrap\": %s,\n", nfiles, jobs, build_runs, jstat("build-native", 1), jstat("build-cordon", 1), jstat("build-bwrap", 1)
    printf "  \"cordon_overhead\": {\"mean_s\": %s, \"percent\": %s, \"two_standard_errors_s\": %s, \"measurable\": %s},\n", num(cb), num(100 * cb / mean["build-native"]), num(cb_noise), jmeasurable(cb, cb_noise)
    if (have["build-bwrap"])
      printf "  \"bwrap_overhead\": {\"mean_s\": %s, \"percent\": %s, \"two_standard_errors_s\": %s, \"measurable\": %s}},\n", num(bb), num(100 * bb / mean["build-native"]), num(bw_noise), jmeasurable(bb, bw_noise)
    else
      printf "  \"bwrap_overhead\": null},\n"
    printf " \"failed_runs\": {"
    sep = ""
    for (name in failed) { printf "%s\"%s\": %d", sep, name, failed[name]; sep = ", " }
    printf "}}"
    exit
  }

  print "Wall-clock time; cpu = mean user+system time of the waited-for process tree (n/a for bwrap,"
  print "whose sandbox is not its waited-for child). Targets are judged on medians."
  printf "%-44s %8s   %6s %9s %9s\n", "1. startup latency, /bin/true (ms)", "mean", "stddev", "median", "cpu"
  printf "   %-41s %s\n", "bare exec", stat("bare", 1000)
  printf "   %-41s %s\n", "cordon run", stat("cordon", 1000)
  printf "   %-41s %s\n", "bwrap, same profile", stat("bwrap", 1000)
  diffrow("added by cordon (cordon - bare)", "cordon", "bare", 1000, "")
  if (have["bwrap"]) {
    diffrow("added by bwrap (bwrap - bare)", "bwrap", "bare", 1000, "")
    printf "   %-41s %8.2f %18.2f %9s   target <= 0.50: %s\n", "ratio: cordon added / bwrap added", r_mean, r_med, "", verdict(latency_met)
  }
  printf "\n%-44s\n", "2. " npaths " protected / denied paths (ms)"
  printf "   %-41s %s\n", "cordon, none", stat("cordon-0", 1000)
  printf "   %-41s %s\n", "cordon, " npaths " x --protect", stat("cordon-protect-N", 1000)
  printf "   %-41s %s\n", "cordon, " npaths " x --deny-read", stat("cordon-deny-N", 1000)
  diffrow("added by " npaths " --protect", "cordon-protect-N", "cordon-0", 1000, "   target < 10 ms: " verdict(protect_met))
  diffrow("added by " npaths " --deny-read", "cordon-deny-N", "cordon-0", 1000, "   target < 10 ms: " verdict(deny_met))
  if (have["bwrap-0"]) {
    printf "   %-41s %s\n", "bwrap, none", stat("bwrap-0", 1000)
    printf "   %-41s %s\n", "bwrap, " npaths " x --ro-bind", stat("bwrap-ro-bind-N", 1000)
    diffrow("added by " npaths " --ro-bind (bwrap)", "bwrap-ro-bind-N", "bwrap-0", 1000, "")
    printf "   %-41s %8.3f %18.3f\n", "ratio: cordon --protect / bwrap added", ratio(pa_mean, bb_mean), ratio(pa_med, bb_med)
  }
  printf "\n%-44s\n", "3. build, " nfiles " C files, make -j" jobs " (s)"
  printf "   %-41s %s\n", "native", stat("build-native", 1)
  printf "   %-41s %s\n", "cordon run", stat("build-cordon", 1)
  printf "   %-41s %s\n", "bwrap", stat("build-bwrap", 1)
  printf "   %-41s %+8.2f s (%+.1f%%), 2 SE = %.2f s: %s\n", "cordon - native", cb, 100 * cb / mean["build-native"], cb_noise, measurable(cb, cb_noise)
  if (have["build-bwrap"])
    printf "   %-41s %+8.2f s (%+.1f%%), 2 SE = %.2f s: %s\n", "bwrap - native", bb, 100 * bb / mean["build-native"], bw_noise, measurable(bb, bw_noise)
  sep = "\n"
  for (name in failed) {
    printf "%sWARNING: %s: %d run(s) failed and were not timed (see first_failure in the JSON)\n", sep, name, failed[name]
    sep = ""
  }
}
