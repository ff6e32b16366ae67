#include "tests/support/http_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace warren::test {

http_receiver::http_receiver(responder r) : responder_(std::move(r)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("http_receiver: socket failed");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0)
    throw std::runtime_error("http_receiver: bind/listen failed");
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

http_receiver::~http_receiver() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  changed_.notify_all();
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

std::string http_receiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<http_receiver::request> http_receiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t http_receiver::count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

bool http_receiver::wait_for(std::size_t n, std::chrono::milliseconds deadline) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, deadline, [&] { return requests_.size() >= n; });
}

void http_receiver::on_request(std::function<void(const request&)> f) {
  std::lock_guard lock(mutex_);
  observer_ = std::move(f);
}

void http_receiver::accept_loop() {
  for (;;) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;  // closed by the destructor
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void http_receiver::serve(int fd) {
  std::string buf;
  char chunk[16384];
  auto fill = [&]() {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
    return true;
  };
  for (;;) {
    std::size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) goto done;
    {
      request req;
      req.at = std::chrono::steady_clock::now();
      std::string head = buf.substr(0, end);
      buf.erase(0, end + 4);
      auto line_end = head.find("\r\n");
      std::string first = head.substr(0, line_end);
      auto sp1 = first.find(' '), sp2 = first.rfind(' ');
      req.method = first.substr(0, sp1);
      req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
      std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        auto e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string h = head.substr(pos, e - pos);
        auto colon = h.find(':');
        if (colon != std::string::npos) {
          std::string k = h.substr(0, colon);
          std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
          std::string v = h.substr(colon + 1);
          v.erase(0, v.find_first_not_of(' '));
          req.headers[k] = v;
        }
        pos = e + 2;
      }
      std::size_t length = req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
      while (buf.size() < length)
        if (!fill()) goto done;
      req.body = buf.substr(0, length);
      buf.erase(0, length);

      reply r;
      std::size_t index;
      std::function<void(const request&)> observer;
      {
        std::lock_guard lock(mutex_);
        index = requests_.size();
        observer = observer_;
      }
      if (responder_) r = responder_(req, index);
      req.answered = r.hang ? 0 : r.status;
      if (observer) observer(req);
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(req);
      }
      changed_.notify_all();
      if (r.hang) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stopping_; });
        goto done;
      }
      bool close = req.headers.count("connection") && req.headers["connection"] == "close";
      std::string resp = "HTTP/1.1 " + std::to_string(r.status) + " X\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n";
      if (close) resp += "Connection: close\r\n";
      resp += "\r\nok";
      if (::send(fd, resp.data(), resp.size(), MSG_NOSIGNAL) < 0 || close) goto done;
    }
  }
done:
  std::lock_guard lock(mutex_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  ::close(fd);
}

}  // namespace warren::test
