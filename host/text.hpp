#pragma once
// Small text helpers shared by the host code.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace hl {

// Levenshtein edit distance, for "did you mean" suggestions.
inline std::size_t levenshtein(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

// The closest of `known` to a mistyped name, or "" when none is close enough to be a typo.
inline std::string nearest(std::string_view typed, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& k : known) {
    const std::size_t d = levenshtein(typed, k);
    if (d <= std::max<std::size_t>(2, typed.size() / 3) && d < best_d) best_d = d, best = k;
  }
  return best;
}

}  // namespace hl
