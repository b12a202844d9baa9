// listen_address.h: ListenAddress, what --listen ADDR:PORT names, checked before anything binds.
#pragma once
#include <string>
#include <string_view>

namespace ts::exporter {

// ListenAddress is a numeric IP address and a TCP port (0: any free port).
struct ListenAddress {
  std::string host;  // "0.0.0.0", "127.0.0.1", "::1" (no brackets)
  int port = 0;
  // text() is "HOST:PORT", "[HOST]:PORT" for IPv6.
  std::string text() const;
};

// parse_listen() reads "ADDR:PORT", "[IPV6]:PORT" or ":PORT" (every IPv4 address). ADDR must be a
// numeric address (no name lookups), PORT 0-65535. Throws ts::Error (status 2) naming the text
// and the expected form.
ListenAddress parse_listen(std::string_view s);

}  // namespace ts::exporter
