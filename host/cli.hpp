#pragma once
#include <ostream>

namespace hl {
// The whole command line; returns the exit code: 0 ok, 2 bad input (one line on err), 1 other failure.
int hedgelab_main(int argc, char** argv, std::ostream& out, std::ostream& err);
}  // namespace hl
