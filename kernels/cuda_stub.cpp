// Linked in a build without nvcc: the CUDA backend exists and says so, instead of #ifdefs in host code.
#include <stdexcept>

#include "kernels/backend.hpp"

namespace hl {

bool cuda_built() { return false; }
int cuda_device_count() { return 0; }
std::string cuda_device_name(int) { return ""; }
std::string cuda_runtime_version() { return ""; }

void simulate_cuda(const SimJob&, const BackendOptions&, const ChunkSink&) {
  throw std::runtime_error(
      "--backend cuda: this hedgelab was built without CUDA (rebuild with nvcc available, or use --backend cpu)");
}
void simulate_cuda(const SimJob& job, const BackendOptions& opt, SimOutput&) { simulate_cuda(job, opt, ChunkSink{}); }

}  // namespace hl
