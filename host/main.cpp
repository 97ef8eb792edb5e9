#include <iostream>

#include "host/cli.hpp"

int main(int argc, char** argv) { return hl::hedgelab_main(argc, argv, std::cout, std::cerr); }
