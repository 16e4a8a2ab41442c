#include "report/plots.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <map>

#include "engine/error.h"

extern char** environ;

namespace sinklab::report {
namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// A label as a CSV cell gnuplot splits on commas only: a comma inside (a list value) would shift
// the columns the plot reads.
std::string csv_safe(std::string s) {
  std::replace(s.begin(), s.end(), ',', ';');
  return s;
}

// Both terminals from one script body.
void render(const fs::path& dir, const std::string& name, const PlotStyle& style, const std::string& body) {
  const fs::path script = dir / (name + ".gp");
  std::ofstream gp(script);
  gp << "# Drawn by sinklab compare from " << name << ".csv; run `gnuplot " << name << ".gp` to redraw.\n";
  gp << "cd " << quoted(fs::absolute(dir).string()) << "\n";
  for (const auto& [term, ext] : {std::pair{"pngcairo", "png"}, std::pair{"svg", "svg"}}) {
    // noenhanced: names like sink_logit print as written, not with subscripts.
    gp << fmt::format("set terminal {} size {},{} font 'Sans,11' noenhanced {}\n", term, style.width, style.height,
                      std::string(term) == "svg" ? "dynamic background rgb 'white'" : "");
    gp << "set output " << quoted(name + "." + ext) << "\n" << body << "unset output\n";
  }
  gp.close();
  run_gnuplot(script);
}

}  // namespace

void run_gnuplot(const fs::path& script) {
  // No shell: the script cds to its own folder (gnuplot quoting), errors go to <script>.err.
  const fs::path err = script.string() + ".err";
  const std::string abs = fs::absolute(script).string();
  std::vector<char*> argv{const_cast<char*>("gnuplot"), const_cast<char*>(abs.c_str()), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  int status = -1;
  if (posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv.data(), environ) == 0) waitpid(pid, &status, 0);
  posix_spawn_file_actions_destroy(&actions);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream in(err);
    const std::string why((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fail("gnuplot failed on {} (is gnuplot installed? scripts/setup.sh installs gnuplot-nox): {}", script.string(), why);
  }
  fs::remove(err);
}

Series aggregate(const std::string& variant, const std::vector<std::vector<std::pair<double, double>>>& seeds) {
  std::map<double, std::vector<double>> at;
  for (const auto& points : seeds)
    for (const auto& [x, y] : points) at[x].push_back(y);
  Series s{variant, {}};
  for (const auto& [x, ys] : at) {
    double sum = 0;
    for (double y : ys) sum += y;
    s.points.push_back({x, sum / static_cast<double>(ys.size()), *std::min_element(ys.begin(), ys.end()),
                        *std::max_element(ys.begin(), ys.end()), static_cast<int>(ys.size())});
  }
  return s;
}

void line_plot(const fs::path& dir, const std::string& name, const std::vector<Series>& series, const PlotStyle& style) {
  {
    std::ofstream csv(dir / (name + ".csv"));
    csv << "variant_index,variant,x,mean,min,max,seeds\n";
    for (std::size_t i = 0; i < series.size(); ++i)
      for (const auto& p : series[i].points)
        csv << i << "," << csv_safe(series[i].variant) << "," << fmt::format("{},{},{},{}", p.x, p.mean, p.min, p.max) << "," << p.count << "\n";
  }
  std::string body = fmt::format(
      "set datafile separator ','\nset datafile columnheaders\nset title {}\nset xlabel {}\nset ylabel {}\n"
      "set key outside right top\nset grid\nset style fill transparent solid 0.18 noborder\n{}",
      quoted(style.title), quoted(style.xlabel), quoted(style.ylabel),
      std::string(style.log_x ? "set logscale x 2\n" : "") + (style.log_y ? "set logscale y\n" : ""));
  std::vector<std::string> parts;
  // gnuplot has 8 line colours: each further round of 8 series gets its own dash and marker, so a
  // 3 x 4 ablation's curves stay apart.
  constexpr std::array<int, 5> markers{7, 5, 9, 11, 13};  // filled circle, square, triangles, diamond
  for (std::size_t i = 0; i < series.size(); ++i) {
    const std::string sel = fmt::format("(column(1)=={} ? ", i);
    const std::size_t round = i / 8 % markers.size();
    parts.push_back(fmt::format("{} using 3:{}column(5) : NaN):{}column(6) : NaN) with filledcurves lc {} notitle",
                                quoted(name + ".csv"), sel, sel, i + 1));
    parts.push_back(fmt::format("{} using 3:{}column(4) : NaN) with linespoints lw 2 dt {} pt {} ps {} lc {} title {}",
                                quoted(name + ".csv"), sel, round + 1, markers[round], round ? 0.8 : 0.5, i + 1,
                                quoted(series[i].variant)));
  }
  if (!series.empty() && !series.front().points.empty())
    for (std::size_t i = 0; i < style.power_laws.size(); ++i) {
      const auto& [exponent, label] = style.power_laws[i];
      const Band& p = series.front().points.front();
      // A dash pattern of its own per guide: all are grey, so the pattern tells them apart.
      parts.push_back(fmt::format("{} * (x / {})**({}) with lines dt {} lw 1.5 lc rgb '#888888' title {}", p.mean, p.x, exponent,
                                  3 + i, quoted(label)));
    }
  if (style.reference)
    parts.push_back(fmt::format("{} with lines dt 2 lw 1.5 lc rgb '#555555' title {}", *style.reference, quoted(style.reference_label)));
  body += "plot " + fmt::format("{}", fmt::join(parts, ", \\\n     ")) + "\n";
  render(dir, name, style, body);
}

void heatmaps(const fs::path& dir, const std::string& name, const std::vector<std::string>& variants,
              const std::vector<std::vector<std::vector<double>>>& values, const PlotStyle& style, const std::string& row_label,
              const std::string& col_label) {
  {
    std::ofstream csv(dir / (name + ".csv"));
    csv << "variant," << row_label << "," << col_label << ",value\n";
    for (std::size_t v = 0; v < variants.size(); ++v)
      for (std::size_t r = 0; r < values[v].size(); ++r)
        for (std::size_t c = 0; c < values[v][r].size(); ++c) csv << variants[v] << "," << r << "," << c << "," << fmt::format("{}", values[v][r][c]) << "\n";
  }
  const int cols = std::min<int>(3, static_cast<int>(variants.size()));
  const int rows = (static_cast<int>(variants.size()) + cols - 1) / cols;
  // A light palette keeps the black value labels readable on every cell.
  std::string body = fmt::format("set multiplot layout {},{} title {}\nset cbrange [0:1]\n"
                                 "set palette defined (0 'white', 0.5 '#fdae6b', 1 '#d94801')\n"
                                 "set xlabel {}\nset ylabel {}\nset size ratio -1\n",
                                 rows, cols, quoted(style.title), quoted(col_label), quoted(row_label));
  for (std::size_t v = 0; v < variants.size(); ++v) {
    const auto& m = values[v];
    body += fmt::format("set title {}\nset xrange [-0.5:{}]\nset yrange [{}:-0.5]\nset xtics 1\nset ytics 1\n$m{} << EOD\n",
                        quoted(variants[v]), static_cast<double>(m.empty() ? 0 : m[0].size()) - 0.5, static_cast<double>(m.size()) - 0.5, v);
    for (const auto& row : m) body += fmt::format("{}\n", fmt::join(row, " "));
    body += fmt::format("EOD\nplot $m{} matrix with image notitle, $m{} matrix using 1:2:(sprintf('%.2f',$3)) with labels font ',9' notitle\n", v, v);
  }
  body += "unset multiplot\n";
  render(dir, name, style, body);
}

void map_grid(const fs::path& dir, const std::string& name, const std::vector<std::vector<std::vector<float>>>& maps, std::int64_t n,
              const std::vector<std::string>& titles, int columns, const PlotStyle& style) {
  std::size_t count = 0;
  for (const auto& row : maps) count += row.size();
  {
    std::ofstream csv(dir / (name + ".csv"));
    csv << "panel,title,query,key,weight\n";
    std::size_t k = 0;
    for (const auto& row : maps)
      for (const auto& m : row) {
        for (std::int64_t i = 0; i < n; ++i)
          for (std::int64_t j = 0; j < n; ++j) csv << k << "," << titles[k] << "," << i << "," << j << "," << fmt::format("{}", m[i * n + j]) << "\n";
        ++k;
      }
  }
  const int rows = static_cast<int>((count + columns - 1) / columns);
  std::string body = fmt::format("set multiplot layout {},{} title {}\nset cbrange [0:1]\nset palette rgb 21,22,23\nunset colorbox\n"
                                 "set size ratio -1\nset xrange [-0.5:{}]\nset yrange [{}:-0.5]\nset xtics 16 font ',8'\nset ytics 16 font ',8'\n"
                                 "set xlabel 'key' font ',9'\nset ylabel 'query' font ',9'\n",
                                 rows, columns, quoted(style.title), n - 0.5, n - 0.5);
  std::size_t k = 0;
  for (const auto& row : maps)
    for (const auto& m : row) {
      body += fmt::format("set title {} font ',9'\n$a{} << EOD\n", quoted(titles[k]), k);
      for (std::int64_t i = 0; i < n; ++i) {
        for (std::int64_t j = 0; j < n; ++j) body += fmt::format("{:.4f}{}", m[i * n + j], j + 1 < n ? " " : "\n");
      }
      body += fmt::format("EOD\nplot $a{} matrix with image notitle\n", k);
      ++k;
    }
  body += "unset multiplot\n";
  render(dir, name, style, body);
}

}  // namespace sinklab::report
