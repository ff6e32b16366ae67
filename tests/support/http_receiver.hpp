#pragma once
// http_receiver: a recording HTTP/1.1 server on loopback for notifier tests. Every request
// (method, target, headers, body, arrival time) is recorded; the responder decides the answer per
// request (status code, or hang until the receiver is destroyed). Keep-alive connections are
// served until the client closes them. Test code: its own threads, safe to query from any thread.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace warren::test {

class http_receiver {
 public:
  struct request {
    std::string method, target;
    std::map<std::string, std::string> headers;  ///< names lower-cased
    std::string body;
    std::chrono::steady_clock::time_point at;
    unsigned answered = 0;  ///< status code sent (0 = hung)
  };
  struct reply {
    unsigned status = 200;
    bool hang = false;  ///< never answer (until the receiver is destroyed)
  };
  /// Called for every request with its 0-based index.
  using responder = std::function<reply(const request&, std::size_t index)>;

  explicit http_receiver(responder r = {});
  ~http_receiver();
  http_receiver(const http_receiver&) = delete;
  http_receiver& operator=(const http_receiver&) = delete;

  std::uint16_t port() const { return port_; }
  /// http://127.0.0.1:PORT + path
  std::string url(const std::string& path = "/") const;
  std::vector<request> requests() const;
  std::size_t count() const;
  /// Waits until at least `n` requests arrived.
  bool wait_for(std::size_t n, std::chrono::milliseconds deadline) const;
  /// Called with every request as it arrives (before answering); for benchmarks.
  void on_request(std::function<void(const request&)> f);

 private:
  void accept_loop();
  void serve(int fd);

  responder responder_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<request> requests_;
  std::vector<int> open_fds_;
  std::function<void(const request&)> observer_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

}  // namespace warren::test
