// Printing: the live progress line, the results table and the one-line JSON summary.
#pragma once

#include <cstdint>

#include "load.hpp"

namespace eddy_load {

struct Results {
  double seconds = 0;  // measured time
  std::uint32_t connections = 0;
};

// Rewrites the terminal's current line with the rate since the previous call.
void print_progress(double elapsed, double rate, const LoadState& state);
void clear_progress();

void print_table(const Options& opts, const LoadState& state, const Results& r);
void print_json(const Options& opts, const LoadState& state, const Results& r);

}  // namespace eddy_load
