// line_plot's gnuplot script: what tells a reader the curves apart and which axes are logarithmic.
#include "report/plots.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "support/temp_dir.h"

namespace sinklab::report {
namespace {

using testing::read_file;

std::vector<Series> series(int n) {
  std::vector<Series> out;
  for (int i = 0; i < n; ++i) out.push_back(aggregate(fmt::format("v{}", i), {{{0.0, 1.0 + i}, {10.0, 0.5 + i}}}));
  return out;
}

std::string curve_of(const std::string& script, const std::string& variant) {
  const auto at = script.find("title '" + variant + "'");
  EXPECT_NE(at, std::string::npos) << variant << " not in\n" << script;
  const auto start = script.rfind("with linespoints", at);
  return script.substr(start, at - start);
}

// gnuplot has 8 colours: the 9th series repeats the 1st's colour, so it must differ in dash and
// marker; the first 8 stay solid with round markers.
TEST(LinePlot, SeriesPastTheEighthColourGetTheirOwnDashAndMarker) {
  testing::TempDir dir;
  line_plot(dir.path(), "many", series(12), {.title = "t", .xlabel = "step", .ylabel = "y"});
  const std::string script = read_file(dir.path() / "many.gp");
  EXPECT_NE(curve_of(script, "v0").find("dt 1 pt 7 "), std::string::npos) << curve_of(script, "v0");
  EXPECT_NE(curve_of(script, "v7").find("dt 1 pt 7 "), std::string::npos);
  EXPECT_NE(curve_of(script, "v8").find("dt 2 pt 5 "), std::string::npos) << curve_of(script, "v8");
  EXPECT_NE(curve_of(script, "v8").find("lc 9 "), std::string::npos);
  EXPECT_NE(curve_of(script, "v11").find("dt 2 pt 5 "), std::string::npos);
  EXPECT_EQ(script.find("logscale"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "many.png"));
}

TEST(LinePlot, LogAxesAreWrittenWhenAsked) {
  testing::TempDir dir;
  line_plot(dir.path(), "log", series(2), {.title = "t", .xlabel = "d", .ylabel = "cost", .log_x = true, .log_y = true});
  const std::string script = read_file(dir.path() / "log.gp");
  EXPECT_NE(script.find("set logscale x 2\n"), std::string::npos) << script;
  EXPECT_NE(script.find("set logscale y\n"), std::string::npos) << script;
}

}  // namespace
}  // namespace sinklab::report
