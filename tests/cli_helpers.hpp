#pragma once
// Runs the whole command line in-process, capturing what it prints, for the CLI-level tests.
#include <sstream>
#include <string>
#include <vector>

#include "host/cli.hpp"

namespace hl::test {

struct CliRun {
  int code;
  std::string out, err;
};

inline CliRun cli(std::vector<std::string> args) {
  args.insert(args.begin(), "hedgelab");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  const int code = hl::hedgelab_main(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace hl::test
