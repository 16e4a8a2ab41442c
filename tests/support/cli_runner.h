#pragma once
// Runs the sinklab binary as a user would, capturing what it prints.
#include <filesystem>
#include <string>

namespace sinklab::testing {

struct CliResult {
  int code;            // exit status (-1 when killed)
  std::string output;  // stdout and stderr
};

// `args` as typed after `sinklab`; the output goes through a file in `work_dir`.
CliResult run_sinklab(const std::string& args, const std::filesystem::path& work_dir);

}  // namespace sinklab::testing
