// Ctrl-C: a run stops between batches, throws Interrupted, and writes nothing; the real binary exits
// 130 on SIGINT and leaves no output file (not even its temporary).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "helpers.hpp"
#include "host/run.hpp"

using namespace hl;

TEST_CASE("interrupt: a set stop flag stops the run before its statistics, on the CPU backend") {
  Study s = load_study(test::source_path("experiments/derman_kamal.toml"), {"study.paths=200000"});
  std::atomic<bool> stop{true};
  RunOptions opt;
  opt.backend = "cpu";
  opt.stop = &stop;
  CHECK_THROWS_AS(run_study(s, opt), Interrupted);
  stop = false;
  CHECK_NOTHROW(run_study(s, opt));  // the same run goes through when nobody stops it
}

TEST_CASE("interrupt: a flag set during the run stops it early") {
  // About 20 s of work on 2 cores if it ran to the end.
  Study s = load_study(test::source_path("experiments/merton_stress.toml"), {});
  std::atomic<bool> stop{false};
  RunOptions opt;
  opt.backend = "cpu";
  opt.stop = &stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
  });
  CHECK_THROWS_AS(run_study(s, opt), Interrupted);
  stopper.join();
}

TEST_CASE("interrupt: SIGINT to hedgelab run exits 130 and writes nothing") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("hedgelab_interrupt_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string out = (dir / "x.h5").string(), exp = test::source_path("experiments/merton_stress.toml");
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    execl(HEDGELAB_BINARY, HEDGELAB_BINARY, "run", exp.c_str(), "-q", "-o", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  CHECK(fs::is_empty(dir));  // neither the file nor its temporary
  fs::remove_all(dir);
}
