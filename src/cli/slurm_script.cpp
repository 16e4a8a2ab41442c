#include "cli/slurm_script.h"

#include <fmt/format.h>

#include "engine/error.h"
#include "io/atomic_file.h"

namespace sinklab::cli {
namespace {

namespace fs = std::filesystem;

// One word for bash, whatever the text holds (spaces, quotes, newlines): inside single quotes
// only ' itself needs escaping.
std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool digits(const std::string& s, std::size_t max) {
  return !s.empty() && s.size() <= max && s.find_first_not_of("0123456789") == std::string::npos;
}

// Slurm's time limits: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS. Returns the limit in
// seconds, or -1 when the text is none of these.
std::int64_t time_seconds(const std::string& text) {
  std::string rest = text;
  std::int64_t days = 0;
  const bool has_days = rest.find('-') != std::string::npos;
  if (has_days) {
    const std::string d = rest.substr(0, rest.find('-'));
    if (!digits(d, 5)) return -1;
    days = std::stoll(d);
    rest = rest.substr(rest.find('-') + 1);
  }
  std::vector<std::string> parts;
  for (std::size_t at = 0;;) {
    const auto colon = rest.find(':', at);
    parts.push_back(rest.substr(at, colon == std::string::npos ? std::string::npos : colon - at));
    if (colon == std::string::npos) break;
    at = colon + 1;
  }
  if (parts.size() > 3) return -1;
  std::vector<std::int64_t> v;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    // The first field may be large (90 minutes); the ones after a colon are minutes or seconds.
    if (!digits(parts[i], i == 0 ? 7 : 2)) return -1;
    v.push_back(std::stoll(parts[i]));
    if (i > 0 && v.back() >= 60) return -1;
  }
  if (has_days) {
    if (v[0] >= 24) return -1;
    const std::int64_t h = v[0], m = v.size() > 1 ? v[1] : 0, s = v.size() > 2 ? v[2] : 0;
    return ((days * 24 + h) * 60 + m) * 60 + s;
  }
  if (v.size() == 1) return v[0] * 60;
  if (v.size() == 2) return v[0] * 60 + v[1];
  return (v[0] * 60 + v[1]) * 60 + v[2];
}

// The #SBATCH lines both jobs share.
std::string shared_directives(const SlurmOptions& o) {
  std::string s;
  if (o.time) s += fmt::format("#SBATCH --time={}\n", *o.time);
  if (o.partition) s += fmt::format("#SBATCH --partition={}\n", *o.partition);
  return s;
}

// The lines that put a task where `sinklab ablate` ran, with its data settings: relative paths
// (./data, a config's data.path) then mean what they meant there.
std::string setup_lines(const SlurmJob& job) {
  std::string s = "set -euo pipefail\n";
  for (const auto& [name, value] : job.environment) s += fmt::format("export {}={}\n", name, quote(value));
  return s + fmt::format("cd {}\n", quote(job.work_dir.string()));
}

std::string array_script(const SlurmJob& job, const SlurmOptions& o) {
  std::string ablate = fmt::format("exec {} --runs-dir {} ablate {} --shard \"$SLURM_ARRAY_TASK_ID/{}\"", quote(job.sinklab.string()),
                                   quote(job.runs_dir.string()), quote(job.file.string()), job.runs);
  for (const auto& a : job.ablate_args) ablate += " " + quote(a);
  return fmt::format(
      "#!/bin/bash\n"
      "# Ablation {name}, one run per task of this job array: task K runs `sinklab ablate --shard K/{n}`.\n"
      "# Written by `sinklab ablate --slurm`. Submit it from its folder (submit.sh does), so the logs\n"
      "# land beside it. Bash reads #SBATCH lines as comments: `SLURM_ARRAY_TASK_ID=K bash array.sbatch`\n"
      "# runs task K here.\n"
      "#SBATCH --job-name={name}\n"
      "#SBATCH --array=0-{last}{max}\n"
      "#SBATCH --cpus-per-task={cpus}\n"
      "{shared}"
      "#SBATCH --output=%x-%A_%a.out\n"
      "{setup}"
      ": \"${{SLURM_ARRAY_TASK_ID:?is not set: submit this script with sbatch, or set it to run one task by hand}}\"\n"
      "# ablate gives each run the OpenMP threads it has: here, the task's CPUs.\n"
      "export OMP_NUM_THREADS=\"${{SLURM_CPUS_PER_TASK:-{cpus}}}\"\n"
      "{ablate}\n",
      fmt::arg("name", job.ablation), fmt::arg("n", job.runs), fmt::arg("last", job.runs - 1),
      fmt::arg("max", o.array_max > 0 ? fmt::format("%{}", o.array_max) : ""), fmt::arg("cpus", o.cpus_per_task),
      fmt::arg("shared", shared_directives(o)), fmt::arg("setup", setup_lines(job)), fmt::arg("ablate", ablate));
}

std::string compare_script(const SlurmJob& job, const SlurmOptions& o) {
  return fmt::format(
      "#!/bin/bash\n"
      "# The comparison of ablation {name} (plots and report.html in its compare/ folder), once every\n"
      "# task of array.sbatch has ended: submit.sh submits it with --dependency=afterany:<array job>.\n"
      "#SBATCH --job-name={name}-compare\n"
      "#SBATCH --cpus-per-task=1\n"
      "{shared}"
      "#SBATCH --output=%x-%j.out\n"
      "{setup}"
      "exec {sinklab} --runs-dir {runs} compare {folder}\n",
      fmt::arg("name", job.ablation), fmt::arg("shared", shared_directives(o)), fmt::arg("setup", setup_lines(job)),
      fmt::arg("sinklab", quote(job.sinklab.string())), fmt::arg("runs", quote(job.runs_dir.string())),
      fmt::arg("folder", quote(job.folder.string())));
}

std::string submit_script(const SlurmJob& job) {
  return fmt::format(
      "#!/bin/bash\n"
      "# Submits ablation {name}: the job array of its runs, then the comparison, which waits for every\n"
      "# task to end however it ended (afterany: a failed run leaves the others to compare).\n"
      "set -euo pipefail\n"
      "cd \"$(dirname \"$0\")\"  # the jobs' logs land in the scripts' folder\n"
      "array=$(sbatch --parsable array.sbatch)\n"
      "array=${{array%%;*}}  # --parsable prints the job id, or id;cluster\n"
      "compare=$(sbatch --parsable --dependency=\"afterany:$array\" compare.sbatch)\n"
      "echo \"submitted job array $array ({n} tasks) and the comparison ${{compare%%;*}}, which waits for it; logs in $PWD\"\n",
      fmt::arg("name", job.ablation), fmt::arg("n", job.runs));
}

}  // namespace

void check_slurm_options(const SlurmOptions& o) {
  if (o.cpus_per_task < 1) fail("ablate: --cpus-per-task must be at least 1, got {}", o.cpus_per_task);
  if (o.array_max < 0) fail("ablate: --array-max must be at least 1, got {}", o.array_max);
  if (o.time) {
    const std::int64_t seconds = time_seconds(*o.time);
    if (seconds < 0)
      fail("ablate: --time '{}' is not a Slurm time limit: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS "
           "(e.g. 90, 1:30:00, 2-00)", *o.time);
    if (seconds == 0) fail("ablate: --time '{}' is no time at all; leave --time out for the partition's default limit", *o.time);
  }
  if (!o.partition) return;
  // Written into the scripts: a plain name (or several, comma-separated), nothing bash or sbatch
  // would read as more than that.
  const std::string& p = *o.partition;
  const bool plain = !p.empty() &&
                     p.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-,") == std::string::npos &&
                     !p.starts_with(',') && !p.ends_with(',') && p.find(",,") == std::string::npos;
  if (!plain)
    fail("ablate: --partition '{}' is not a partition name: letters, digits, '.', '_' and '-' (several: comma-separated), "
         "no spaces or quotes", p);
}

void write_slurm_job(const SlurmJob& job, const SlurmOptions& options, std::ostream& out) {
  const fs::path dir = job.folder / "slurm";
  fs::create_directories(dir);
  io::write_file_atomic(dir / "array.sbatch", array_script(job, options));
  io::write_file_atomic(dir / "compare.sbatch", compare_script(job, options));
  io::write_file_atomic(dir / "submit.sh", submit_script(job));
  fs::permissions(dir / "submit.sh", fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add);
  out << fmt::format("ablation {}: {} runs, one per task of a Slurm job array (--array=0-{}{}, {} CPU{} per task)\n", job.ablation,
                     job.runs, job.runs - 1, options.array_max > 0 ? fmt::format("%{}", options.array_max) : "",
                     options.cpus_per_task, options.cpus_per_task == 1 ? "" : "s")
      << fmt::format("wrote array.sbatch, compare.sbatch (sinklab compare once every task has ended) and submit.sh to {}\n",
                     dir.string())
      << "submit both:\n"
      << fmt::format("  bash {}\n", quote((dir / "submit.sh").string()))
      << "or by hand, from that folder (the logs land there):\n"
      << fmt::format("  cd {}\n", quote(dir.string()))
      << "  sbatch --parsable array.sbatch    # prints the array's job id\n"
      << "  sbatch --dependency=afterany:<the array's job id> compare.sbatch\n";
}

}  // namespace sinklab::cli
