#include "support/cli_runner.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <cstdlib>

#include "support/temp_dir.h"

namespace sinklab::testing {

CliResult run_sinklab(const std::string& args, const std::filesystem::path& work_dir) {
  const std::filesystem::path out = work_dir / "output.txt";
  const int status = std::system(fmt::format("{} {} > {} 2>&1", SINKLAB_BINARY, args, out.string()).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out)};
}

}  // namespace sinklab::testing
