// listen_address.cpp: --listen's parser.
#include "export/listen_address.h"

#include <arpa/inet.h>

#include <charconv>

#include "model/error.h"

namespace ts::exporter {

std::string ListenAddress::text() const {
  const std::string p = std::to_string(port);
  return host.find(':') != std::string::npos ? "[" + host + "]:" + p : host + ":" + p;
}

ListenAddress parse_listen(std::string_view s) {
  auto bad = [&](const char* why) {
    return Error("--listen " + std::string(s) + ": " + why + " (expected ADDR:PORT, e.g. 127.0.0.1:9890, [::1]:9890 or :9890)", 2);
  };
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos) throw bad("no port");
  std::string_view host = s.substr(0, colon), port = s.substr(colon + 1);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  ListenAddress a;
  a.host = host.empty() ? "0.0.0.0" : std::string(host);
  unsigned char buf[16];
  const bool v6 = a.host.find(':') != std::string::npos;
  if (v6 != bracketed || inet_pton(v6 ? AF_INET6 : AF_INET, a.host.c_str(), buf) != 1)
    throw bad(v6 || bracketed ? "not a numeric IPv6 address in brackets" : "not a numeric IPv4 address");
  auto r = std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (port.empty() || r.ec != std::errc() || r.ptr != port.data() + port.size() || a.port < 0 || a.port > 65535)
    throw bad("the port is not 0-65535");
  return a;
}

}  // namespace ts::exporter
