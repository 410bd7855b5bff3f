// A fixed set of worker threads that split a loop into contiguous ranges.
//
// Determinism is the point of the design: parallel_for hands each index to exactly one thread
// and never combines partial results across threads, so a kernel that computes each output
// element on its own gives bit-identical results for any thread count.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace scout::cpu {

class ThreadPool {
 public:
  // threads <= 0: one per hardware thread.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Splits [0, n) into at most size() contiguous ranges of at least `min_per_range` indices and
  // runs fn(begin, end) on each; the calling thread takes the first range. Returns when every
  // range is done and rethrows the first exception a range threw. Calls from several threads
  // are serialised (the pool runs one loop at a time).
  void parallel_for(int64_t n, int64_t min_per_range, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker_main(int index);
  void run_range(int range);

  std::vector<std::thread> workers_;
  std::mutex loop_mutex_;  // one loop at a time

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  int ranges_ = 0;   // ranges in the current loop
  int pending_ = 0;  // ranges not yet finished
  int64_t n_ = 0;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  std::exception_ptr error_;
};

}  // namespace scout::cpu
